import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { EnforcementPointActor } from "@/lib/auth/enforcement-point";
import { db } from "@/lib/db";
import { delegateLease } from "@/lib/leases/delegate";

export const POST = withApi(operations.delegateLease, ({ caller, params, body }) => delegateLease(db(), caller as EnforcementPointActor, params.id, body));
