import { errors, jwtVerify, SignJWT, decodeProtectedHeader } from "jose";
import type { Db } from "@/lib/db";
import { now } from "@/lib/clock";
import { keys, verifierFor } from "@/lib/tokens/keys";
import { ALG, CLOCK_TOLERANCE_S } from "@/lib/tokens/params";

export const ISSUER = process.env.LANYARD_ISSUER ?? "lanyard";
export const AUDIENCE = "lanyard";
/** The header type of lease tokens, required when verifying: Lanyard signs other JWTs with the same keys (on-behalf-of tokens, typ at+jwt) that must never pass for one. */
export const LEASE_TYP = "lanyard-lease+jwt";
export { CLOCK_TOLERANCE_S };
/** A lease token is a few hundred bytes; anything far larger is refused before any parsing. */
export const MAX_TOKEN_LENGTH = 4096;

export type LeaseClaims = { runId: string; leaseId: string; agentId: string; parentLeaseId: string | null; iat: number; exp: number };

export async function signLeaseToken(
  db: Db,
  l: { id: string; runId: string; agentId: string; parentLeaseId: string | null; expiresAt: Date },
): Promise<string> {
  const { signer } = await keys(db);
  const jwt = new SignJWT({ agt: l.agentId, ...(l.parentLeaseId ? { pls: l.parentLeaseId } : {}) })
    .setProtectedHeader({ alg: ALG, kid: signer.kid, typ: LEASE_TYP })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(l.runId)
    .setJti(l.id)
    .setIssuedAt(Math.floor(now().getTime() / 1000))
    .setNotBefore(Math.floor(now().getTime() / 1000))
    .setExpirationTime(Math.floor(l.expiresAt.getTime() / 1000));
  return jwt.sign(signer.privateKey);
}

export type TokenResult = { ok: true; claims: LeaseClaims } | { ok: false; code: "token_invalid" | "token_expired"; message: string };

const invalid = (message: string): TokenResult => ({ ok: false, code: "token_invalid", message });

/**
 * Three segments, each canonical unpadded base64url (the only spelling Lanyard signs). jose's decoder
 * is lenient (padding, whitespace, a trailing newline, stray low bits in the last character), so one
 * token could be spelled many ways; anything but the canonical one is refused before jose sees it.
 */
export function isCanonicalCompactJws(token: string): boolean {
  const segments = token.split(".");
  return segments.length === 3 && segments.every((s) => s.length > 0 && /^[A-Za-z0-9_-]+$/.test(s) && Buffer.from(s, "base64url").toString("base64url") === s);
}

/**
 * Verifies a lease token in memory: the algorithm is pinned to EdDSA (no `none`, no HMAC with a public
 * key), the key is chosen by `kid` among Lanyard's own, and iss/aud/exp/nbf are checked with a small
 * tolerance. Authority never comes from the token alone: callers still check the lease's live state.
 */
export async function verifyLeaseToken(db: Db, token: unknown): Promise<TokenResult> {
  if (typeof token !== "string" || token.length === 0) return invalid("lease token missing");
  if (token.length > MAX_TOKEN_LENGTH) return invalid("lease token too large");
  if (!isCanonicalCompactJws(token)) return invalid("lease token is not a canonical compact JWS (three unpadded base64url segments)");
  let kid: string | undefined;
  try {
    const header = decodeProtectedHeader(token);
    if (header.alg !== ALG) return invalid(`lease token algorithm ${String(header.alg)} is not accepted`);
    kid = header.kid;
    if (header.typ !== LEASE_TYP) return invalid(`a token of type ${String(header.typ)} is not a lease token`);
  } catch {
    return invalid("lease token is not a compact JWS");
  }
  if (!kid) return invalid("lease token has no kid");
  const key = await verifierFor(db, kid);
  if (!key) return invalid("lease token signed by an unknown key");
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [ALG],
      issuer: ISSUER,
      audience: AUDIENCE,
      clockTolerance: CLOCK_TOLERANCE_S,
      currentDate: now(),
      requiredClaims: ["sub", "jti", "exp", "iat"],
    });
    if (typeof payload.agt !== "string") return invalid("lease token lacks agt");
    if (payload.pls !== undefined && typeof payload.pls !== "string") return invalid("lease token pls is malformed");
    return {
      ok: true,
      claims: {
        runId: payload.sub!,
        leaseId: payload.jti!,
        agentId: payload.agt,
        parentLeaseId: (payload.pls as string | undefined) ?? null,
        iat: payload.iat!,
        exp: payload.exp!,
      },
    };
  } catch (err) {
    if (err instanceof errors.JWTExpired) return { ok: false, code: "token_expired", message: "lease token has expired" };
    if (err instanceof errors.JOSEError) return invalid(`lease token rejected: ${err.code}`);
    throw err;
  }
}
