import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { listPasskeys, registerPasskey } from "@/lib/presence/passkeys";
import { relyingParty } from "@/lib/presence/relying-party";

export const GET = withApi(operations.listPasskeys, async ({ caller }) => ({ passkeys: await listPasskeys(db(), caller as Actor) }));
export const POST = withApi(operations.registerPasskey, async ({ caller, body, req }) => ({ passkey: await registerPasskey(db(), caller as Actor, relyingParty(req), body) }));
