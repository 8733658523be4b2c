import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { deleteConnection, getConnection, updateConnection } from "@/lib/connections/connections";
import { db } from "@/lib/db";

export const dynamic = "force-dynamic";
export const GET = withApi(operations.getConnection, async ({ caller, params }) => ({ connection: await getConnection(db(), caller, params.id) }));
export const PATCH = withApi(operations.updateConnection, async ({ caller, params, body }) => {
  if (caller.kind !== "user") throw new Error("unreachable: a session operation");
  return { connection: await updateConnection(db(), caller, params.id, body) };
});
export const DELETE = withApi(operations.deleteConnection, async ({ caller, params }) => {
  if (caller.kind !== "user") throw new Error("unreachable: a session operation");
  return deleteConnection(db(), caller, params.id);
});
