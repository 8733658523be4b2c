import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { rotateCredential } from "@/lib/credentials/credentials";
import { db } from "@/lib/db";

export const POST = withApi(operations.rotateCredential, async ({ caller, params, body }) => {
  if (caller.kind !== "user") throw new Error("unreachable: a session operation");
  return { credential: await rotateCredential(db(), caller, params.id, params.cid, body) };
});
