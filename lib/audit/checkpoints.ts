// Signed checkpoints of the audit chain: written once a minute, checked by verify (signature, signed
// head, their own chain, freshness) and compared with a witness's copy. The chain itself is verify.ts.
import { createHash } from "node:crypto";
import { base64url, CompactSign, compactVerify, decodeProtectedHeader, importJWK, type CryptoKey, type JWK } from "jose";
import { AppError } from "@/lib/errors";
import { Prisma } from "@/lib/generated/prisma/client";
import { deliverToWitness, witnessTargets, type WitnessTargets } from "@/lib/audit/witness";
import { now } from "@/lib/clock";
import type { Db, Tx } from "@/lib/db";
import { newId } from "@/lib/ids";
import { ALG, historicalKeys, keys } from "@/lib/tokens/keys";

export type Finding = { seq: bigint; detail: string };
type KeyLookup = (kid: string) => Promise<{ key: CryptoKey; revokedAt: Date | null } | null>;
type Opened = { claims: CheckpointClaims; kid: string } | { problem: string };

/** The public keys Lanyard ever signed with (retired and revoked included), imported once each. */
export async function keyLookup(db: Db): Promise<KeyLookup> {
  const known = await historicalKeys(db);
  const imported = new Map<string, Promise<CryptoKey>>();
  return async (kid) => {
    const k = known.get(kid);
    if (!k) return null;
    let key = imported.get(kid);
    if (!key) imported.set(kid, (key = importJWK(k.publicJwk, ALG) as Promise<CryptoKey>));
    return { key: await key, revokedAt: k.revokedAt };
  };
}

/** A checkpoint's signed claims, or why they cannot be believed (said after "checkpoint <id> "). */
async function openCheckpoint(jws: string, lookup: KeyLookup): Promise<Opened> {
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(jws).kid;
  } catch {
    return { problem: "is not a JWS: forged or rewritten" };
  }
  const k = typeof kid === "string" ? await lookup(kid) : null;
  if (!k) return { problem: `is signed by a key Lanyard does not have (${String(kid).slice(0, 40)}): forged, or the signing keys were tampered with` };
  let claims: CheckpointClaims;
  try {
    const { payload, protectedHeader } = await compactVerify(jws, k.key, { algorithms: [ALG] });
    if (protectedHeader.typ !== CHECKPOINT_TYP) return { problem: "is not a Lanyard checkpoint" };
    claims = JSON.parse(new TextDecoder().decode(payload)) as CheckpointClaims;
  } catch {
    return { problem: "has a signature that does not verify: forged or rewritten" };
  }
  if (claims?.typ !== "lanyard-audit-checkpoint" || !/^\d{1,19}$/.test(claims.headSeq) || !/^[0-9a-f]{64}$/.test(claims.headHash) || typeof claims.iat !== "number") return { problem: "does not sign a chain head" };
  if (k.revokedAt && claims.iat * 1000 > k.revokedAt.getTime()) return { problem: `is signed by key ${kid} after the key was revoked: forged` };
  return { claims, kid: kid as string };
}

/** Whether a stored checkpoint (from before the range, not re-verified) carries a link: read, not trusted. */
function hasLink(jws: string): boolean {
  try {
    return "prev" in JSON.parse(new TextDecoder().decode(base64url.decode(jws.split(".")[1] ?? "")));
  } catch {
    return false;
  }
}

const CHECKPOINT_PAGE = 1_000;

/**
 * Every checkpoint whose head is at or after `from`, in chain order: signed by a Lanyard key (not
 * after its revocation), its signed head equal to the chain's hash at that seq (not the unsigned
 * columns, which must agree with it too), and naming the checkpoint before it. The first problem wins.
 */
export async function checkCheckpoints(db: Db, lookup: KeyLookup, from: bigint, sealedHead: bigint): Promise<{ first: Finding | null; checked: number }> {
  const before = from > 1n ? await db.auditCheckpoint.findFirst({ where: { headSeq: { lt: from } }, orderBy: CHECKPOINT_ORDER_DESC, select: { jws: true } }) : null;
  let prevDigest = before ? checkpointDigest(before.jws) : null;
  let linked = before ? hasLink(before.jws) : false;
  let checked = 0;
  let cursor: string | undefined;
  for (;;) {
    const page = await db.auditCheckpoint.findMany({ where: { headSeq: { gte: from } }, orderBy: CHECKPOINT_ORDER, take: CHECKPOINT_PAGE, ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}) });
    if (!page.length) return { first: null, checked };
    const opened = await Promise.all(page.map((c) => openCheckpoint(c.jws, lookup)));
    const seqs = opened.flatMap((o) => ("claims" in o && BigInt(o.claims.headSeq) <= sealedHead ? [BigInt(o.claims.headSeq)] : []));
    const seals = new Map((await db.auditSeal.findMany({ where: { seq: { in: seqs } }, select: { seq: true, hash: true } })).map((s) => [s.seq, s.hash]));
    for (const [i, c] of page.entries()) {
      const o = opened[i]!;
      const say = (detail: string, seq = c.headSeq) => ({ first: { seq, detail: `checkpoint ${c.id} ${detail}` }, checked });
      if ("problem" in o) return say(o.problem);
      const seq = BigInt(o.claims.headSeq);
      if (seq > sealedHead) return say(`vouches for seq ${seq}, beyond the sealed chain (seq ${sealedHead}): truncated`, seq);
      const seal = seals.get(seq);
      if (seal === undefined) return say(`vouches for seq ${seq}, which is no longer sealed: truncated`, seq);
      if (seal !== o.claims.headHash) return say(`signed a different head hash at seq ${seq} than the chain has now: the chain was rewritten`, seq);
      if (c.headSeq !== seq || c.headHash !== o.claims.headHash || c.kid !== o.kid) return say("is stored with columns that differ from what it signed: rewritten", seq);
      if (o.claims.prev === undefined) {
        if (linked) return say("carries no link to the checkpoint before it, yet follows linked ones: inserted", seq);
      } else {
        if (o.claims.prev !== prevDigest) return say("does not name the checkpoint before it: a checkpoint was deleted, inserted or reordered", seq);
        linked = true;
      }
      prevDigest = checkpointDigest(c.jws);
      checked++;
    }
    cursor = page.at(-1)!.id;
  }
}

/** Stale when a seq sealed more than two intervals ago is covered by no checkpoint (an idle chain is not stale). */
export async function checkpointFreshness(db: Db, sealedHead: bigint, intervalMs: number): Promise<{ stale: boolean; lastCheckpointAt: string | null }> {
  const newest = await db.auditCheckpoint.findFirst({ orderBy: CHECKPOINT_ORDER_DESC, select: { headSeq: true, createdAt: true } });
  const lastCheckpointAt = newest?.createdAt.toISOString() ?? null;
  const covered = newest?.headSeq ?? 0n;
  if (covered >= sealedHead) return { stale: false, lastCheckpointAt };
  const uncovered = await db.auditSeal.findUnique({ where: { seq: covered + 1n }, select: { sealedAt: true } });
  return { stale: !!uncovered && now().getTime() - uncovered.sealedAt.getTime() > 2 * intervalMs, lastCheckpointAt };
}

/**
 * A witness's checkpoint, opened before verify starts: not a checkpoint at all is the caller's mistake
 * (400); one that does not verify against Lanyard's keys is reported by verify, since an owner could
 * have tampered with the keys.
 */
export async function openWitness(jws: string, lookup: KeyLookup): Promise<Opened> {
  const fail = () => new AppError("invalid_request", "checkpoint: a Lanyard checkpoint (compact JWS)", [{ path: ["checkpoint"], message: "a Lanyard checkpoint (compact JWS)" }]);
  const jwsShape = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
  if (!jwsShape.test(jws.trim())) throw fail();
  try {
    if (decodeProtectedHeader(jws.trim()).typ !== CHECKPOINT_TYP) throw fail();
  } catch {
    throw fail();
  }
  return openCheckpoint(jws.trim(), lookup);
}

/** The witness's head against the chain: beyond its end means events, seals and checkpoints were cut together. */
export async function witnessProblem(db: Db, witness: Opened, sealedHead: bigint): Promise<Finding | null> {
  if ("problem" in witness) return { seq: sealedHead, detail: `the witness's checkpoint ${witness.problem}` };
  const seq = BigInt(witness.claims.headSeq);
  if (seq > sealedHead) return { seq, detail: `the witness's checkpoint vouches for seq ${seq}, beyond the sealed chain (seq ${sealedHead}): events, seals and checkpoints were truncated` };
  const seal = await db.auditSeal.findUnique({ where: { seq }, select: { hash: true } });
  if (!seal) return { seq, detail: `the witness's checkpoint vouches for seq ${seq}, which is no longer sealed: truncated` };
  if (seal.hash !== witness.claims.headHash) return { seq, detail: `the witness's checkpoint signed a different head hash at seq ${seq} than the chain has now: the chain was rewritten` };
  return null;
}


/** The latest signed checkpoints, newest first, as the API shows them. */
export async function listCheckpoints(db: Db, take = 100) {
  const rows = await db.auditCheckpoint.findMany({ orderBy: { createdAt: "desc" }, take });
  return rows.map((c) => ({ ...c, headSeq: c.headSeq.toString(), count: c.count.toString(), createdAt: c.createdAt.toISOString() }));
}

/**
 * What a checkpoint signs. `prev` is the digest of the checkpoint before it (null for the first), so
 * the checkpoints form a chain of their own: one deleted, inserted or reordered breaks the next link.
 * Checkpoints written before links existed have no `prev`; they are accepted only before the first
 * linked one.
 */
export type CheckpointClaims = { typ: "lanyard-audit-checkpoint"; headSeq: string; headHash: string; count: string; iat: number; prev?: string | null };

/** A checkpoint's digest, as the next one names it: sha-256 (hex) of its compact JWS. */
export function checkpointDigest(jws: string): string {
  return createHash("sha256").update(jws, "utf8").digest("hex");
}

/** How often the sweeper signs the head; verify warns when the chain has outgrown the newest checkpoint by twice that. */
export const CHECKPOINT_INTERVAL_MS = 60_000;

// The order of the checkpoint chain: the signed heads only grow (the writer skips an unchanged head).
const CHECKPOINT_ORDER = [{ headSeq: "asc" }, { createdAt: "asc" }, { id: "asc" }] as const satisfies Prisma.AuditCheckpointOrderByWithRelationInput[];
const CHECKPOINT_ORDER_DESC = [{ headSeq: "desc" }, { createdAt: "desc" }, { id: "desc" }] as const satisfies Prisma.AuditCheckpointOrderByWithRelationInput[];

/**
 * Signs the chain's head with the lease-token key (Ed25519 JWS), so anyone with the JWKS can check it
 * later, links it to the checkpoint before it, and hands it to the configured witnesses. One writer
 * at a time (advisory lock), so the checkpoint chain never forks between instances.
 */
export async function writeCheckpoint(db: Db, opts: { witness?: WitnessTargets } = {}): Promise<{ id: string; jws: string } | null> {
  const { signer } = await keys(db);
  const written = await db.$transaction(async (tx) => {
    const [lock] = await tx.$queryRaw<{ locked: boolean }[]>(Prisma.sql`SELECT pg_try_advisory_xact_lock(hashtext('lanyard.audit_checkpoint')) AS locked`);
    if (!lock?.locked) return null;
    const state = await tx.auditSealState.findUniqueOrThrow({ where: { id: 1 } });
    if (state.lastSeq === 0n) return null;
    const last = await tx.auditCheckpoint.findFirst({ orderBy: CHECKPOINT_ORDER_DESC });
    if (last && last.headSeq >= state.lastSeq) return null;
    return signCheckpoint(tx, signer, { seq: state.lastSeq, hash: state.lastHash, count: state.count }, last?.jws ?? null);
  });
  const witness = opts.witness ?? witnessTargets();
  if (written && (witness.url || witness.file)) void deliverToWitness(written.jws, witness);
  return written;
}

/** Signs and stores one checkpoint of `head`, linked to `prevJws` (the latest checkpoint, or null). */
export async function signCheckpoint(tx: Tx, signer: { kid: string; privateKey: CryptoKey }, head: { seq: bigint; hash: string; count: bigint }, prevJws: string | null): Promise<{ id: string; jws: string }> {
  const claims: CheckpointClaims = { typ: "lanyard-audit-checkpoint", headSeq: head.seq.toString(), headHash: head.hash, count: head.count.toString(), iat: Math.floor(now().getTime() / 1000), prev: prevJws === null ? null : checkpointDigest(prevJws) };
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader({ alg: ALG, kid: signer.kid, typ: CHECKPOINT_TYP }).sign(signer.privateKey);
  const id = newId("chk");
  await tx.auditCheckpoint.create({ data: { id, headSeq: head.seq, headHash: head.hash, count: head.count, kid: signer.kid, jws } });
  return { id, jws };
}

const CHECKPOINT_TYP = "lanyard-checkpoint+jws";

/** Verifies a checkpoint JWS against a JWKS (as an outside party would). */
export async function verifyCheckpointJws(jws: string, jwks: { keys: JWK[] }): Promise<CheckpointClaims> {
  const { protectedHeader, payload } = await compactVerify(jws, async (header) => {
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    if (!jwk) throw new Error(`unknown kid ${header.kid}`);
    return importJWK(jwk, ALG);
  }, { algorithms: [ALG] });
  if (protectedHeader.typ !== CHECKPOINT_TYP) throw new Error("not a Lanyard checkpoint");
  return JSON.parse(new TextDecoder().decode(payload)) as CheckpointClaims;
}

/** A verify bound given as a seq ("1200") or an ISO time, as a seq; undefined when absent. */
