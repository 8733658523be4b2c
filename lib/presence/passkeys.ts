import { generateRegistrationOptions, verifyRegistrationResponse, type RegistrationResponseJSON } from "@simplewebauthn/server";
import type { z } from "zod";
import { appendAudit, type AuditActor } from "@/lib/audit/append";
import type { Actor } from "@/lib/auth/permissions";
import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";
import { AppError, notFound } from "@/lib/errors";
import { newId } from "@/lib/ids";
import { consumeChallenge, storeChallenge } from "@/lib/presence/challenges";
import { freshProof } from "@/lib/presence/proof";
import type { RelyingParty } from "@/lib/presence/relying-party";
import type { PasskeyRegistration, PasskeyView } from "@/lib/presence/schemas";

type PasskeyRow = { id: string; name: string; transports: string[]; createdAt: Date; lastUsedAt: Date | null };

export function toPasskeyView(p: PasskeyRow): PasskeyView {
  return { id: p.id, name: p.name, transports: p.transports, createdAt: p.createdAt.toISOString(), lastUsedAt: p.lastUsedAt?.toISOString() ?? null };
}

const who = (actor: Actor): AuditActor => ({ type: "user", id: actor.id, label: actor.email });

export async function listPasskeys(db: Db, actor: Actor): Promise<PasskeyView[]> {
  const rows = await db.passkey.findMany({ where: { userId: actor.id }, orderBy: { createdAt: "asc" } });
  return rows.map(toPasskeyView);
}

/** Options for navigator.credentials.create: a discoverable, user-verified credential, none of the person's existing ones again. */
export async function registrationOptions(db: Db, actor: Actor, rp: RelyingParty) {
  if (!rp.id) throw new AppError("invalid_request", "No relying party: set LANYARD_PUBLIC_URL or send an Origin header");
  const existing = await db.passkey.findMany({ where: { userId: actor.id }, select: { credentialId: true, transports: true } });
  // A new passkey is a new way to prove presence: the session alone must not mint one (a stolen cookie or
  // an unlocked laptop would then approve critical requests). Whoever already has a password or a passkey
  // proves it first; someone with neither (SSO only) has nothing to prove with, so their first key is let in.
  const user = await db.user.findUniqueOrThrow({ where: { id: actor.id }, select: { sessionVersion: true, passwordHash: true } });
  if ((user.passwordHash || existing.length > 0) && !(await db.$transaction((tx) => freshProof(tx, actor, user.sessionVersion, now())))) {
    throw new AppError("reauth_required", "Adding a passkey needs a fresh proof that it is you: confirm with your password or an existing passkey (valid 5 minutes)");
  }
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: actor.email,
    userDisplayName: actor.name,
    // The person's id as the user handle: stable, and not their email.
    userID: new TextEncoder().encode(actor.id),
    attestationType: "none",
    excludeCredentials: existing.map((c) => ({ id: c.credentialId, transports: c.transports })),
    authenticatorSelection: { residentKey: "preferred", userVerification: "required" },
  });
  await storeChallenge(db, actor, "register", options.challenge);
  return options;
}

/** Verifies a new credential against this session's challenge and stores it (audited). */
export async function registerPasskey(db: Db, actor: Actor, rp: RelyingParty, input: z.infer<typeof PasskeyRegistration>): Promise<PasskeyView> {
  const challenge = await consumeChallenge(db, actor, "register", input.response.response.clientDataJSON);
  const verification = await verifyRegistrationResponse({
    response: input.response as unknown as RegistrationResponseJSON,
    expectedChallenge: challenge,
    expectedOrigin: rp.origin,
    expectedRPID: rp.id,
    requireUserVerification: true,
  }).catch((err: unknown) => {
    throw new AppError("forbidden", `The passkey could not be verified: ${err instanceof Error ? err.message : "invalid response"}`);
  });
  if (!verification.verified) throw new AppError("forbidden", "The passkey could not be verified");
  const { credential } = verification.registrationInfo;
  return db.$transaction(async (tx) => {
    const row = await tx.passkey.create({
      data: { id: newId("pky"), userId: actor.id, credentialId: credential.id, publicKey: Buffer.from(credential.publicKey), counter: BigInt(credential.counter), transports: credential.transports ?? [], name: input.name, createdAt: now() },
    });
    await appendAudit(tx, { action: "passkey.registered", actor: who(actor), subject: { type: "passkey", id: row.id }, payload: { name: row.name, transports: row.transports } });
    return toPasskeyView(row);
  });
}

export async function renamePasskey(db: Db, actor: Actor, id: string, name: string): Promise<PasskeyView> {
  return db.$transaction(async (tx) => {
    const { count } = await tx.passkey.updateMany({ where: { id, userId: actor.id }, data: { name } });
    if (count === 0) throw notFound(`passkey ${id}`);
    await appendAudit(tx, { action: "passkey.renamed", actor: who(actor), subject: { type: "passkey", id }, payload: { name } });
    return toPasskeyView(await tx.passkey.findUniqueOrThrow({ where: { id } }));
  });
}

/**
 * Removes one of the person's own passkeys (someone else's is 404, as if it did not exist), with a fresh
 * proof: else a stolen session of someone without a password removes their keys, then adds its own as
 * their "first" one (registrationOptions lets that in without a proof).
 */
export async function removePasskey(db: Db, actor: Actor, id: string): Promise<void> {
  await db.$transaction(async (tx) => {
    const row = await tx.passkey.findFirst({ where: { id, userId: actor.id }, select: { name: true } });
    if (!row) throw notFound(`passkey ${id}`);
    const { sessionVersion } = await tx.user.findUniqueOrThrow({ where: { id: actor.id }, select: { sessionVersion: true } });
    if (!(await freshProof(tx, actor, sessionVersion, now()))) {
      throw new AppError("reauth_required", "Removing a passkey needs a fresh proof that it is you: confirm with your password or a passkey (valid 5 minutes)");
    }
    const { count } = await tx.passkey.deleteMany({ where: { id, userId: actor.id } });
    if (count === 0 || !row) throw notFound(`passkey ${id}`);
    await appendAudit(tx, { action: "passkey.removed", actor: who(actor), subject: { type: "passkey", id }, payload: { name: row.name } });
  });
}
