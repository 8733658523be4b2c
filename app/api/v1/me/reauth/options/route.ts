import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { authenticationOptions } from "@/lib/presence/reauth";
import { relyingParty } from "@/lib/presence/relying-party";

export const POST = withApi(operations.reauthOptions, async ({ caller, req }) => ({ options: await authenticationOptions(db(), caller as Actor, relyingParty(req)) }));
