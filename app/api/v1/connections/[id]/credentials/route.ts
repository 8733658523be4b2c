import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { createCredential, listCredentials } from "@/lib/credentials/credentials";
import { db } from "@/lib/db";

export const dynamic = "force-dynamic";
export const GET = withApi(operations.listCredentials, async ({ params }) => ({ credentials: await listCredentials(db(), params.id) }));
export const POST = withApi(operations.createCredential, async ({ caller, params, body }) => {
  if (caller.kind !== "user") throw new Error("unreachable: a session operation");
  return { credential: await createCredential(db(), caller, params.id, body) };
});
