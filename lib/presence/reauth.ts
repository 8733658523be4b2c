import { generateAuthenticationOptions, verifyAuthenticationResponse, type AuthenticationResponseJSON } from "@simplewebauthn/server";
import { Prisma } from "@/lib/generated/prisma/client";
import type { z } from "zod";
import { appendAudit, type AuditActor } from "@/lib/audit/append";
import { FAILURE_WINDOW_MS, MAX_FAILURES } from "@/lib/auth/options";
import { verifyPassword } from "@/lib/auth/password";
import type { Actor } from "@/lib/auth/permissions";
import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { consumeChallenge, storeChallenge } from "@/lib/presence/challenges";
import { FRESH_PROOF_MS, recordProof, sessionOf } from "@/lib/presence/proof";
import type { RelyingParty } from "@/lib/presence/relying-party";
import type { ReauthRequest, ReauthStatus } from "@/lib/presence/schemas";

const who = (actor: Actor): AuditActor => ({ type: "user", id: actor.id, label: actor.email });

/** The session's proof (if still fresh) and whether the person has passkeys: what the approve button needs to know. */
export async function reauthStatus(db: Db, actor: Actor): Promise<z.infer<typeof ReauthStatus>> {
  const s = sessionOf(actor);
  const [proof, passkeys] = await Promise.all([
    db.presenceProof.findUnique({ where: { userId_sessionId: { userId: actor.id, sessionId: s.id } } }),
    db.passkey.count({ where: { userId: actor.id } }),
  ]);
  const until = proof && proof.sessionVersion === s.version ? proof.provedAt.getTime() + FRESH_PROOF_MS : 0;
  const fresh = proof && until > now().getTime();
  return { method: fresh ? (proof.method as "passkey" | "password") : null, provedAt: fresh ? proof.provedAt.toISOString() : null, freshUntil: fresh ? new Date(until).toISOString() : null, passkeys };
}

/** Options for navigator.credentials.get, limited to the person's own passkeys. */
export async function authenticationOptions(db: Db, actor: Actor, rp: RelyingParty) {
  if (!rp.id) throw new AppError("invalid_request", "No relying party: set LANYARD_PUBLIC_URL or send an Origin header");
  const keys = await db.passkey.findMany({ where: { userId: actor.id }, select: { credentialId: true, transports: true } });
  if (keys.length === 0) throw new AppError("invalid_request", "You have no passkey: register one in your profile, or use your password");
  const options = await generateAuthenticationOptions({ rpID: rp.id, allowCredentials: keys.map((k) => ({ id: k.credentialId, transports: k.transports })), userVerification: "required" });
  await storeChallenge(db, actor, "authenticate", options.challenge);
  return options;
}

/** Proves presence for this session by a passkey assertion or the password; the proof lasts FRESH_PROOF_MS. */
export async function reauthenticate(db: Db, actor: Actor, rp: RelyingParty, input: z.infer<typeof ReauthRequest>): Promise<z.infer<typeof ReauthStatus>> {
  if (input.method === "password") await proveWithPassword(db, actor, input.password);
  else await proveWithPasskey(db, actor, rp, input.response as unknown as AuthenticationResponseJSON);
  return reauthStatus(db, actor);
}

async function proveWithPassword(db: Db, actor: Actor, password: string): Promise<void> {
  // The sign-in throttle's count, per person: a stolen session must not become a password oracle.
  const failures = await db.auditEvent.count({ where: { action: "auth.reauth_failed", actorId: actor.id, at: { gt: new Date(now().getTime() - FAILURE_WINDOW_MS) } } });
  if (failures >= MAX_FAILURES) throw new AppError("rate_limited", "Too many wrong passwords: wait a few minutes", undefined, Math.ceil(FAILURE_WINDOW_MS / 1000));
  const user = await db.user.findUnique({ where: { id: actor.id }, omit: { passwordHash: false } });
  const ok = user?.passwordHash ? await verifyPassword(password, user.passwordHash) : false;
  await db.$transaction(async (tx) => {
    if (ok) await recordProof(tx, actor, "password", now());
    await appendAudit(tx, { action: ok ? "auth.reauth" : "auth.reauth_failed", actor: who(actor), subject: { type: "user", id: actor.id }, outcome: ok ? "allow" : "deny", payload: { method: "password", ...(ok ? {} : { reason: user?.passwordHash ? "bad_password" : "no_password" }) } });
  });
  if (!ok) throw new AppError("forbidden", user?.passwordHash ? "Wrong password" : "You sign in without a password here: use a passkey");
}

async function proveWithPasskey(db: Db, actor: Actor, rp: RelyingParty, response: AuthenticationResponseJSON): Promise<void> {
  const challenge = await consumeChallenge(db, actor, "authenticate", response.response.clientDataJSON);
  const key = await db.passkey.findFirst({ where: { credentialId: response.id, userId: actor.id } });
  const fail = async (reason: string, message: string): Promise<never> => {
    await db.$transaction((tx) => appendAudit(tx, { action: "auth.reauth_failed", actor: who(actor), subject: { type: "user", id: actor.id }, outcome: "deny", payload: { method: "passkey", reason, passkeyId: key?.id ?? null } }));
    throw new AppError("forbidden", message);
  };
  // Someone else's passkey (or none) proves nothing about this person.
  if (!key) return fail("unknown_passkey", "That passkey is not one of yours");
  const verification = await verifyAuthenticationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: rp.origin,
    expectedRPID: rp.id,
    credential: { id: key.credentialId, publicKey: new Uint8Array(key.publicKey), counter: Number(key.counter), transports: key.transports },
    requireUserVerification: true,
  }).catch((err: unknown) => ({ verified: false as const, error: err instanceof Error ? err.message : "invalid response" }));
  if (!verification.verified) return fail("not_verified", `The passkey could not be verified${"error" in verification ? `: ${verification.error}` : ""}`);
  const next = BigInt(verification.authenticationInfo.newCounter);
  const recorded = await db.$transaction(async (tx) => {
    // The counter only grows (for authenticators that count at all; the verifier checked it against what
    // we read): the conditional update also refuses the second of two assertions racing with one counter.
    const [updated] = await tx.$queryRaw<{ id: string }[]>(Prisma.sql`
      UPDATE "passkeys" SET "counter" = ${next}, "lastUsedAt" = ${now()}
      WHERE "id" = ${key.id} AND ("counter" < ${next} OR (${next} = 0 AND "counter" = 0)) RETURNING "id"`);
    if (!updated) return false;
    await recordProof(tx, actor, "passkey", now(), key.id);
    await appendAudit(tx, { action: "auth.reauth", actor: who(actor), subject: { type: "user", id: actor.id }, outcome: "allow", payload: { method: "passkey", passkeyId: key.id } });
    return true;
  });
  if (!recorded) await fail("counter_not_increased", "This passkey's signature counter did not increase (a cloned authenticator?): refused");
}
