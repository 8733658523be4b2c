import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { registrationOptions } from "@/lib/presence/passkeys";
import { relyingParty } from "@/lib/presence/relying-party";

export const POST = withApi(operations.passkeyRegistrationOptions, async ({ caller, req }) => ({ options: await registrationOptions(db(), caller as Actor, relyingParty(req)) }));
