import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { createAgent } from "@/lib/agents/mutations";
import { listAgents } from "@/lib/agents/queries";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";

export const GET = withApi(operations.listAgents, async ({ query }) => ({ agents: await listAgents(db(), query) }));
export const POST = withApi(operations.createAgent, async ({ caller, body }) => ({ agent: await createAgent(db(), caller as Actor, body) }));
