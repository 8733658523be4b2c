import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { removePasskey, renamePasskey } from "@/lib/presence/passkeys";

export const PATCH = withApi(operations.renamePasskey, async ({ caller, params, body }) => ({ passkey: await renamePasskey(db(), caller as Actor, params.id, body.name) }));
export const DELETE = withApi(operations.removePasskey, async ({ caller, params }) => {
  await removePasskey(db(), caller as Actor, params.id);
  return { deleted: params.id };
});
