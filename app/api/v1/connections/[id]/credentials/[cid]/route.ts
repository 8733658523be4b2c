import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { retireCredential } from "@/lib/credentials/credentials";
import { db } from "@/lib/db";

export const DELETE = withApi(operations.retireCredential, async ({ caller, params }) => {
  if (caller.kind !== "user") throw new Error("unreachable: a session operation");
  return { credential: await retireCredential(db(), caller, params.id, params.cid) };
});
