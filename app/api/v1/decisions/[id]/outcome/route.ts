import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { EnforcementPointActor } from "@/lib/auth/enforcement-point";
import { db } from "@/lib/db";
import { recordOutcome } from "@/lib/decisions/outcome";

export const POST = withApi(operations.reportOutcome, ({ caller, params, body }) => recordOutcome(db(), caller as EnforcementPointActor, params.id, body));
