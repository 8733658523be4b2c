import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { testConnection } from "@/lib/connections/test-connection";
import { db } from "@/lib/db";

export const POST = withApi(operations.testConnection, async ({ caller, params, body }) => {
  if (caller.kind !== "user") throw new Error("unreachable: a session operation");
  return testConnection(db(), caller, params.id, body.timeoutMs);
});
