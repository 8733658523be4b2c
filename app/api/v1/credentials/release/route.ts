import { reply, withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { releaseCredentials } from "@/lib/credentials/release";
import { db } from "@/lib/db";

export const POST = withApi(operations.releaseCredentials, async ({ caller, body }) => {
  if (caller.kind !== "enforcement_point") throw new Error("unreachable: an enforcement-point operation");
  // Secrets: no cache on the way may keep them.
  return reply(await releaseCredentials(db(), caller, body), 200, { "cache-control": "no-store" });
});
