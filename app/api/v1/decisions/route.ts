import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { EnforcementPointActor } from "@/lib/auth/enforcement-point";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";

export const POST = withApi(operations.decide, ({ caller, body }) => decide(db(), caller as EnforcementPointActor, body));
