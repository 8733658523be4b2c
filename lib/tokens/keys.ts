import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from "jose";
import { Prisma } from "@/lib/generated/prisma/client";
import type { Db, Tx } from "@/lib/db";
import { appendAudit, type AuditActor } from "@/lib/audit/append";
import { now } from "@/lib/clock";
import { env } from "@/lib/env";
import { publish, subscribe } from "@/lib/events/bus";
import { newId } from "@/lib/ids";
import { ALG, CLOCK_TOLERANCE_S } from "@/lib/tokens/params";
import { isWrapped, parseKek, unwrapPrivateJwk, wrapPrivateJwk } from "@/lib/tokens/key-wrap";

export { ALG };

type LoadedKey = { kid: string; publicKey: CryptoKey; publicJwk: JWK; createdAt: Date; retiredAt: Date | null };
type KeySet = { signer: { kid: string; privateKey: CryptoKey }; verifiers: Map<string, LoadedKey>; loadedAt: number };

let keySet: KeySet | undefined;
let loading: Promise<KeySet> | undefined;
let lastRefresh = 0;

// Verification keys live in memory: the decision path verifies tokens with no I/O. A token with an
// unknown kid triggers one reload (at most every 5 s) so that a rotation on another instance is seen.
const REFRESH_MIN_MS = 5_000;
const RELOAD_EVERY_MS = 60_000;

const kek = () => parseKek(env().LANYARD_KEY_ENCRYPTION_KEY);
/** During a rotation of the key-encryption key: the previous one, whose keys are re-encrypted under the new. */
const oldKek = () => (process.env.LANYARD_OLD_KEY_ENCRYPTION_KEY ? parseKek(process.env.LANYARD_OLD_KEY_ENCRYPTION_KEY) : null);

async function createKey(tx: Tx, actor: AuditActor, reason: string): Promise<string> {
  const { publicKey, privateKey } = await generateKeyPair(ALG, { crv: "Ed25519", extractable: true });
  const kid = newId("key");
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: "sig" };
  const privateJwk = wrapPrivateJwk({ ...(await exportJWK(privateKey)), kid, alg: ALG }, kid, kek());
  await tx.signingKey.create({ data: { kid, publicJwk, privateJwk } });
  await appendAudit(tx, { action: "signing_key.created", actor, subject: { type: "signing_key", id: kid }, payload: { reason } });
  return kid;
}

/**
 * Makes sure one active signing key exists (first start), without a race between instances, and that
 * every key's private half is encrypted at rest under the current key-encryption key: a key stored in
 * plaintext (by a version before encryption) is encrypted in place, once, and audited; while
 * LANYARD_OLD_KEY_ENCRYPTION_KEY is set (a rotation), keys it opens are re-encrypted under the new one.
 */
export async function ensureSigningKey(db: Db): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.$executeRaw(Prisma.sql`SELECT pg_advisory_xact_lock(hashtext('lanyard.signing_key'))`);
    const active = await tx.signingKey.count({ where: { status: "active" } });
    if (active === 0) await createKey(tx, { type: "system", label: "first start" }, "first start");
    const stored = await tx.signingKey.findMany({ select: { kid: true, privateJwk: true } });
    const actor: AuditActor = { type: "system", label: "key encryption at rest" };
    for (const k of stored.filter((r) => !isWrapped(r.privateJwk))) {
      await tx.signingKey.update({ where: { kid: k.kid }, data: { privateJwk: wrapPrivateJwk(k.privateJwk as JWK, k.kid, kek()) } });
      await appendAudit(tx, { action: "signing_key.encrypted", actor, subject: { type: "signing_key", id: k.kid }, payload: { wrap: "A256GCM" } });
    }
    const previous = oldKek();
    if (!previous) return;
    for (const k of stored.filter((r) => isWrapped(r.privateJwk))) {
      if (opens(k.privateJwk, k.kid, kek())) continue;
      // Not under the current key: under the previous one, or it stays as it is (and fails closed when used).
      if (!opens(k.privateJwk, k.kid, previous)) continue;
      await tx.signingKey.update({ where: { kid: k.kid }, data: { privateJwk: wrapPrivateJwk(unwrapPrivateJwk(k.privateJwk, k.kid, previous), k.kid, kek()) } });
      await appendAudit(tx, { action: "signing_key.rewrapped", actor, subject: { type: "signing_key", id: k.kid }, payload: { wrap: "A256GCM" } });
    }
  });
}

function opens(stored: unknown, kid: string, key: Buffer): boolean {
  try {
    unwrapPrivateJwk(stored, kid, key);
    return true;
  } catch {
    return false;
  }
}

/**
 * Rotation: a new key signs from now on. The keys before it are retired: they keep verifying the lease
 * tokens they signed until the last of those can have expired (a lease lives at most
 * LANYARD_MAX_LEASE_SECONDS, plus the clock tolerance), then no lease token signed by them is accepted;
 * they stay in the JWKS, for the receipts and checkpoints they signed. A `compromised` rotation revokes
 * them at once instead: their tokens are refused from now on and they leave the JWKS. Other instances
 * hear of it through the event bus (and reload keys every minute regardless).
 */
export async function rotateSigningKey(db: Db, actor: AuditActor, opts: { compromised?: boolean } = {}): Promise<{ kid: string; retired: string[]; retiredAt: string }> {
  const result = await db.$transaction(async (tx) => {
    await tx.$executeRaw(Prisma.sql`SELECT pg_advisory_xact_lock(hashtext('lanyard.signing_key'))`);
    const previous = await tx.signingKey.findMany({ where: { status: "active" }, select: { kid: true } });
    const { retired, retiredAt } = await retireSigningKeys(tx, actor, previous.map((k) => k.kid), { compromised: !!opts.compromised });
    const kid = await createKey(tx, actor, opts.compromised ? "rotation: previous keys compromised" : "rotation");
    return { kid, retired, retiredAt: retiredAt.toISOString() };
  });
  keySet = undefined;
  return result;
}

/**
 * Retires `kids` (within the caller's transaction): each verifies lease
 * tokens until the last one it signed can have expired, or, `compromised`, not at all from now on and
 * is dropped from the JWKS. A key already retiring sooner keeps its earlier end. Audited, and announced
 * to every instance.
 */
export async function retireSigningKeys(tx: Tx, actor: AuditActor, kids: string[], opts: { compromised: boolean }): Promise<{ retired: string[]; retiredAt: Date }> {
  const at = now();
  const retiredAt = opts.compromised ? at : new Date(at.getTime() + (env().LANYARD_MAX_LEASE_SECONDS + CLOCK_TOLERANCE_S) * 1000);
  // One conditional UPDATE: only keys still active and not already retiring sooner.
  const due = await tx.signingKey.updateManyAndReturn({
    where: { kid: { in: kids }, status: "active", OR: [{ retiredAt: null }, { retiredAt: { gt: retiredAt } }] },
    data: { retiredAt, ...(opts.compromised ? { status: "revoked" } : {}) },
    select: { kid: true },
  });
  const retired = due.map((k) => k.kid);
  if (!retired.length) return { retired, retiredAt };
  for (const kid of retired) {
    await appendAudit(tx, { action: opts.compromised ? "signing_key.revoked" : "signing_key.retired", actor, subject: { type: "signing_key", id: kid }, payload: { retiredAt: retiredAt.toISOString(), compromised: opts.compromised } });
  }
  await publish(tx, { type: "signing_keys.changed" });
  return { retired, retiredAt };
}

async function load(db: Db): Promise<KeySet> {
  await ensureSigningKey(db);
  const rows = await db.signingKey.findMany({ where: { status: "active" }, orderBy: { createdAt: "desc" }, omit: { privateJwk: false } });
  // The signer is the newest key that is not retired (a rotation retires every key before the new one).
  const newest = rows.find((r) => r.retiredAt === null) ?? rows[0]!;
  const verifiers = new Map<string, LoadedKey>();
  for (const r of rows) {
    verifiers.set(r.kid, { kid: r.kid, publicKey: (await importJWK(r.publicJwk as JWK, ALG)) as CryptoKey, publicJwk: r.publicJwk as JWK, createdAt: r.createdAt, retiredAt: r.retiredAt });
  }
  listenForChanges();
  const privateKey = (await importJWK(unwrapPrivateJwk(newest.privateJwk, newest.kid, kek()), ALG)) as CryptoKey;
  lastRefresh = Date.now();
  return { signer: { kid: newest.kid, privateKey }, verifiers, loadedAt: lastRefresh };
}

export async function keys(db: Db): Promise<KeySet> {
  if (keySet && Date.now() - keySet.loadedAt < RELOAD_EVERY_MS) return keySet;
  loading ??= load(db).finally(() => (loading = undefined));
  keySet = await loading;
  return keySet;
}

/**
 * The key that verifies lease tokens of `kid`, reloading once (rate-limited) when it is not known here
 * yet; null for an unknown key, and for a retired one once its tokens can no longer be live.
 */
export async function verifierFor(db: Db, kid: string): Promise<CryptoKey | null> {
  const usable = (k: LoadedKey | undefined) => (k && (k.retiredAt === null || k.retiredAt.getTime() > now().getTime()) ? k.publicKey : null);
  const set = await keys(db);
  const hit = set.verifiers.get(kid);
  if (hit) return usable(hit);
  if (Date.now() - lastRefresh < REFRESH_MIN_MS) return null;
  keySet = undefined;
  return usable((await keys(db)).verifiers.get(kid));
}

let listening = false;

/** In the server: drop the cached keys as soon as any instance rotates (a revocation applies at once). */
function listenForChanges(): void {
  if (listening || process.env.NEXT_RUNTIME !== "nodejs") return;
  listening = true;
  void subscribe((e) => {
    if (e.type === "signing_keys.changed") keySet = undefined;
  }).catch(() => {
    listening = false;
  });
}

export async function jwks(db: Db): Promise<{ keys: JWK[] }> {
  const rows = await db.signingKey.findMany({ where: { status: "active" }, orderBy: { createdAt: "desc" } });
  return { keys: rows.map((r) => r.publicJwk as JWK) };
}

/**
 * Every public key Lanyard has signed with, for checking what it signed in the past (audit checkpoints):
 * retired keys included, and revoked ones with the time of their revocation, after which nothing they
 * sign is to be believed.
 */
export async function historicalKeys(db: Db): Promise<Map<string, { publicJwk: JWK; revokedAt: Date | null }>> {
  const rows = await db.signingKey.findMany({ select: { kid: true, publicJwk: true, status: true, retiredAt: true } });
  return new Map(rows.map((r) => [r.kid, { publicJwk: r.publicJwk as JWK, revokedAt: r.status === "revoked" ? (r.retiredAt ?? new Date(0)) : null }]));
}

export function forgetKeys(): void {
  keySet = undefined;
}

export const signingKeyAge = (k: { createdAt: Date }) => now().getTime() - k.createdAt.getTime();
