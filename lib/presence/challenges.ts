import { AppError } from "@/lib/errors";
import type { Actor } from "@/lib/auth/permissions";
import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";
import { sessionOf } from "@/lib/presence/proof";

/** How long a WebAuthn challenge may be answered (the browser's own timeout is one minute). */
export const CHALLENGE_TTL_MS = 2 * 60_000;

export type ChallengePurpose = "register" | "authenticate";

/** Stores a challenge for this session and purpose; expired ones of the person are swept on the way. */
export async function storeChallenge(db: Db, actor: Actor, purpose: ChallengePurpose, challenge: string): Promise<void> {
  const at = now();
  await db.webauthnChallenge.deleteMany({ where: { userId: actor.id, expiresAt: { lte: at } } });
  await db.webauthnChallenge.create({ data: { challenge, userId: actor.id, sessionId: sessionOf(actor).id, purpose, expiresAt: new Date(at.getTime() + CHALLENGE_TTL_MS) } });
}

/**
 * Uses up the challenge the authenticator signed: it must be one this session was given for this
 * purpose and not expired. Deleted (committed, outside the caller's transaction) before the answer is
 * verified, so it is never accepted twice, even when that answer fails.
 */
export async function consumeChallenge(db: Db, actor: Actor, purpose: ChallengePurpose, clientDataJSON: string): Promise<string> {
  const challenge = challengeOf(clientDataJSON);
  const { count } = await db.webauthnChallenge.deleteMany({ where: { challenge, userId: actor.id, sessionId: sessionOf(actor).id, purpose, expiresAt: { gt: now() } } });
  if (count === 0) throw new AppError("forbidden", "This passkey challenge is unknown, used or expired: try again");
  return challenge;
}

function challengeOf(clientDataJSON: string): string {
  try {
    const c: unknown = JSON.parse(Buffer.from(clientDataJSON, "base64url").toString("utf8")).challenge;
    if (typeof c === "string" && c.length > 0 && c.length <= 512) return c;
  } catch {
    // fall through: not JSON
  }
  throw new AppError("invalid_request", "response.clientDataJSON: not a WebAuthn client data", [{ path: ["response", "response", "clientDataJSON"], message: "Invalid" }]);
}
