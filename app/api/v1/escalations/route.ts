import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { EnforcementPointActor } from "@/lib/auth/enforcement-point";
import { db } from "@/lib/db";
import { createEscalation } from "@/lib/escalations/create";
import { listQueue } from "@/lib/escalations/queue";

export const POST = withApi(operations.createEscalation, ({ caller, body }) => createEscalation(db(), caller as EnforcementPointActor, body));
// The viewer's assigned requests first (issue 17); a session caller is always a person.
export const GET = withApi(operations.listEscalations, async ({ caller, query }) => ({ escalations: await listQueue(db(), query, caller as { id: string }) }));
