import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { rotateSigningKey } from "@/lib/tokens/keys";

export const POST = withApi(operations.rotateSigningKey, ({ caller, body }) => {
  const a = caller as Actor;
  return rotateSigningKey(db(), { type: "user", id: a.id, label: a.email }, { compromised: body.compromised === true });
});
