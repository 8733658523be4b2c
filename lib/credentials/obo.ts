import { SignJWT } from "jose";
import type { Db } from "@/lib/db";
import { now } from "@/lib/clock";
import { newId } from "@/lib/ids";
import { keys } from "@/lib/tokens/keys";
import { ISSUER } from "@/lib/tokens/lease-token";
import { ALG } from "@/lib/tokens/params";

/**
 * The header type of on-behalf-of tokens: RFC 9068's access-token type, which upstreams that take
 * access tokens check, and not the lease tokens' (lanyard-lease+jwt), which verifyLeaseToken requires:
 * one can never be used as the other.
 */
export const OBO_TYP = "at+jwt";
/** RFC 8693 never says how long; the vault says at most five minutes. */
export const OBO_MAX_TTL_S = 300;

export type OboInput = { person: string; runId: string; leaseId: string; audience: string; tool: string; leaseExpiresAt: Date; ttlSeconds: number };

/**
 * A token for one allowed call, in RFC 8693's shape: `sub` the person who delegated, `act.sub` the agent
 * run acting for them, `aud` the upstream, `scope` the decided tool, `exp` at most five minutes and never
 * past the lease. Signed with Lanyard's current key; verifiable with /.well-known/jwks.json.
 */
export async function mintOboToken(db: Db, t: OboInput): Promise<{ token: string; expiresAt: Date }> {
  const { signer } = await keys(db);
  const iat = Math.floor(now().getTime() / 1000);
  const exp = Math.min(iat + Math.min(t.ttlSeconds, OBO_MAX_TTL_S), Math.floor(t.leaseExpiresAt.getTime() / 1000));
  const token = await new SignJWT({ act: { sub: t.runId }, scope: t.tool, lease_id: t.leaseId })
    .setProtectedHeader({ alg: ALG, kid: signer.kid, typ: OBO_TYP })
    .setIssuer(ISSUER)
    .setSubject(t.person)
    .setAudience(t.audience)
    .setJti(newId("obo"))
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .sign(signer.privateKey);
  return { token, expiresAt: new Date(exp * 1000) };
}
