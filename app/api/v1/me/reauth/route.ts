import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { reauthenticate, reauthStatus } from "@/lib/presence/reauth";
import { relyingParty } from "@/lib/presence/relying-party";

export const GET = withApi(operations.reauthStatus, async ({ caller }) => reauthStatus(db(), caller as Actor));
export const POST = withApi(operations.reauth, async ({ caller, body, req }) => reauthenticate(db(), caller as Actor, relyingParty(req), body));
