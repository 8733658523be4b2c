import { AppError } from "@/lib/errors";
import type { Actor } from "@/lib/auth/permissions";
import type { Tx } from "@/lib/db";

/** How recent a proof of presence must be for an approval of a high or critical request. */
export const FRESH_PROOF_MS = 5 * 60_000;

export type ProofMethod = "passkey" | "password";

/** The console session an actor came with: a proof belongs to it (not to a person's other sessions, nor an API caller). */
export function sessionOf(actor: Actor): { id: string; version: number } {
  if (!actor.session) throw new AppError("forbidden", "Proof of presence needs a console session");
  return actor.session;
}

/** Records (replaces) the session's proof of presence, in the caller's transaction. */
export async function recordProof(tx: Tx, actor: Actor, method: ProofMethod, at: Date, passkeyId: string | null = null): Promise<void> {
  const s = sessionOf(actor);
  const data = { sessionVersion: s.version, method, passkeyId, provedAt: at };
  await tx.presenceProof.upsert({ where: { userId_sessionId: { userId: actor.id, sessionId: s.id } }, create: { userId: actor.id, sessionId: s.id, ...data }, update: data });
}

/**
 * The method of the session's proof if it was made within FRESH_PROOF_MS of `at` and under the person's
 * current sessionVersion (a role change or disablement since voids it), else null.
 */
export async function freshProof(tx: Tx, actor: Actor, currentVersion: number, at: Date): Promise<ProofMethod | null> {
  if (!actor.session || actor.session.version !== currentVersion) return null;
  const p = await tx.presenceProof.findUnique({ where: { userId_sessionId: { userId: actor.id, sessionId: actor.session.id } } });
  if (!p || p.sessionVersion !== currentVersion) return null;
  const age = at.getTime() - p.provedAt.getTime();
  return age >= 0 && age <= FRESH_PROOF_MS ? (p.method as ProofMethod) : null;
}
