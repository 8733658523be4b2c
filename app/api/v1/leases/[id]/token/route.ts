import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { EnforcementPointActor } from "@/lib/auth/enforcement-point";
import { db } from "@/lib/db";
import { refreshLeaseToken } from "@/lib/leases/extend";

export const POST = withApi(operations.refreshLeaseToken, ({ caller, params, body }) => refreshLeaseToken(db(), caller as EnforcementPointActor, params.id, body.leaseToken));
