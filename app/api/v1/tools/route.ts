import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { listTools, upsertTool } from "@/lib/tools/tools";

export const GET = withApi(operations.listTools, async () => ({ tools: await listTools(db()) }));
export const POST = withApi(operations.upsertTool, async ({ caller, body }) => ({ tool: await upsertTool(db(), caller as Actor, body) }));
