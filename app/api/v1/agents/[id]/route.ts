import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { updateAgent } from "@/lib/agents/mutations";
import { getAgent } from "@/lib/agents/queries";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";

export const GET = withApi(operations.getAgent, async ({ params }) => ({ agent: await getAgent(db(), params.id) }));
export const PATCH = withApi(operations.updateAgent, async ({ caller, params, body }) => ({ agent: await updateAgent(db(), caller as Actor, params.id, body) }));
