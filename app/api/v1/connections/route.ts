import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { createConnection, listConnections } from "@/lib/connections/connections";
import { db } from "@/lib/db";

export const GET = withApi(operations.listConnections, async ({ caller }) => ({ connections: await listConnections(db(), caller) }));
export const POST = withApi(operations.createConnection, async ({ caller, body }) => {
  if (caller.kind !== "user") throw new Error("unreachable: a session operation");
  return { connection: await createConnection(db(), caller, body) };
});
