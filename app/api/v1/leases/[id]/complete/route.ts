import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { EnforcementPointActor } from "@/lib/auth/enforcement-point";
import { db } from "@/lib/db";
import { completeLease } from "@/lib/leases/lifecycle";

export const POST = withApi(operations.completeLease, ({ caller, params, body }) => completeLease(db(), caller as EnforcementPointActor, params.id, body.leaseToken));
