import { KeyObject, verify } from "node:crypto";
import type { Db } from "@/lib/db";
import { now } from "@/lib/clock";
import { ALG, verifierFor } from "@/lib/tokens/keys";
import { AUDIENCE, CLOCK_TOLERANCE_S, isCanonicalCompactJws, ISSUER, LEASE_TYP, MAX_TOKEN_LENGTH, verifyLeaseToken, type LeaseClaims, type TokenResult } from "@/lib/tokens/lease-token";

// jose verifies through WebCrypto (async, a promise per step); node:crypto's one-shot verify with a
// KeyObject is synchronous and several times cheaper. One KeyObject per loaded key.
const keyObjects = new WeakMap<CryptoKey, KeyObject>();
const HEADER_KEYS = new Set(["alg", "kid", "typ"]);

/**
 * The lease token's claims when it is plainly valid (a header of exactly alg/kid/typ, EdDSA, a live
 * key of ours, a good signature, issuer, audience, times and claim types as verifyLeaseToken checks
 * them); otherwise null. Never more permissive than verifyLeaseToken: anything it does not accept
 * here goes to verifyLeaseToken, which decides and words the reason.
 */
async function plainlyValid(db: Db, token: string): Promise<LeaseClaims | null> {
  // An agent sends the same token with every call: its signature is checked once per key load. The
  // key is asked for each time (a retired or reloaded key is another object, or none: checked again),
  // and so are the times.
  const seen = verified.get(token);
  if (seen) return (await verifierFor(db, seen.kid)) === seen.key && timely(seen.times) ? seen.claims : null;
  if (token.length > MAX_TOKEN_LENGTH || !isCanonicalCompactJws(token)) return null;
  const parts = token.split(".");
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8"));
    payload = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  if (!header || typeof header !== "object" || !payload || typeof payload !== "object" || Array.isArray(payload)) return null;
  if (header.alg !== ALG || header.typ !== LEASE_TYP || typeof header.kid !== "string" || !Object.keys(header).every((k) => HEADER_KEYS.has(k))) return null;
  const key = await verifierFor(db, header.kid);
  if (!key) return null;
  let keyObject = keyObjects.get(key);
  if (!keyObject) keyObjects.set(key, (keyObject = KeyObject.from(key)));
  if (!verify(null, Buffer.from(`${parts[0]}.${parts[1]}`), keyObject, Buffer.from(parts[2]!, "base64url"))) return null;
  const { iss, aud, sub, jti, exp, iat, nbf, agt, pls } = payload;
  if (iss !== ISSUER || !(aud === AUDIENCE || (Array.isArray(aud) && aud.includes(AUDIENCE)))) return null;
  if (typeof sub !== "string" || typeof jti !== "string" || typeof agt !== "string" || (pls !== undefined && typeof pls !== "string")) return null;
  if (typeof exp !== "number" || typeof iat !== "number" || (nbf !== undefined && typeof nbf !== "number")) return null;
  const times = { exp, iat, nbf: nbf as number | undefined };
  if (!timely(times)) return null;
  const claims: LeaseClaims = { runId: sub, leaseId: jti, agentId: agt, parentLeaseId: (pls as string | undefined) ?? null, iat, exp };
  if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!);
  verified.set(token, { kid: header.kid, key, times, claims });
  return claims;
}

type Times = { exp: number; iat: number; nbf: number | undefined };
const verified = new Map<string, { kid: string; key: CryptoKey; times: Times; claims: LeaseClaims }>();
const MAX_VERIFIED = 10_000;

function timely({ exp, iat, nbf }: Times): boolean {
  const t = Math.floor(now().getTime() / 1000);
  return !(exp <= t - CLOCK_TOLERANCE_S || iat > t + CLOCK_TOLERANCE_S || (nbf !== undefined && nbf > t + CLOCK_TOLERANCE_S));
}

/** verifyLeaseToken's answer, computed without WebCrypto for a valid token (the common case). */
export async function verifyLeaseTokenFast(db: Db, token: unknown): Promise<TokenResult> {
  if (typeof token === "string") {
    const claims = await plainlyValid(db, token);
    if (claims) return { ok: true, claims };
  }
  return verifyLeaseToken(db, token);
}
