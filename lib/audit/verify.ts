import { CompactSign, compactVerify, importJWK, type JWK } from "jose";
import { AppError } from "@/lib/api/errors";
import { Prisma } from "@/lib/generated/prisma/client";
import { gapHash, GENESIS } from "@/lib/audit/chain";
import { fetchSealBatch, viewHash } from "@/lib/audit/event-json";
import type { Db } from "@/lib/db";
import { newId } from "@/lib/ids";
import { ALG, keys } from "@/lib/tokens/keys";

export type VerifyResult = { ok: boolean; checked: number; firstBrokenSeq: string | null; detail: string; unsealed: number };

const BATCH = 20_000;

/**
 * Recomputes the chain over [fromSeq, toSeq] and compares it with the seals: names the first event
 * that was modified or moved (hash differs), deleted (sealed, now missing), or inserted (present where
 * no seal, or where a gap was sealed). Then checks the latest signed checkpoint, to catch a truncation
 * of events and seals together.
 */
export async function verifyChain(db: Db, range: { fromSeq?: bigint; toSeq?: bigint } = {}): Promise<VerifyResult> {
  const state = await db.auditSealState.findUniqueOrThrow({ where: { id: 1 } });
  const from = range.fromSeq ?? 1n;
  const to = range.toSeq !== undefined && range.toSeq < state.lastSeq ? range.toSeq : state.lastSeq;
  const [prevRow] = await db.$queryRaw<{ hash: string }[]>(Prisma.sql`SELECT "hash" FROM "audit_seals" WHERE "seq" < ${from} ORDER BY "seq" DESC LIMIT 1`);
  let prev = prevRow?.hash ?? GENESIS;
  let checked = 0;
  let cursor = from - 1n;
  const broken = (seq: bigint, detail: string) => ({ ok: false, checked, firstBrokenSeq: seq.toString(), detail, unsealed: 0 });
  // Each batch (seals and events together, one round trip) is fetched while the previous one is hashed.
  const fetch = (after: bigint) => {
    const p = fetchSealBatch(db, after, to, BATCH);
    p.catch(() => {}); // awaited below; an early return must not leave an unhandled rejection
    return p;
  };
  let next = cursor < to ? fetch(cursor) : null;
  while (next) {
    const { seals, events } = await next;
    const hi = seals.length ? seals[seals.length - 1]!.seq : to;
    next = seals.length && hi < to ? fetch(hi) : null;
    const bySeq = new Map(events.map((e) => [e.seq, e]));
    const sealed = new Set(seals.map((s) => s.seq.toString()));
    // An event where no seal stands (between sealed ones) was inserted behind the sealer's back.
    const found = events.find((e) => !sealed.has(e.seq));
    const intruder = found ? { seq: BigInt(found.seq), id: found.id } : undefined;
    let expected = cursor + 1n;
    for (const s of seals) {
      if (intruder && intruder.seq < s.seq) return broken(intruder.seq, `event seq ${intruder.seq} (${intruder.id}) is not in the chain: inserted after sealing`);
      if (s.seq !== expected) return broken(expected, `seal for seq ${expected} is missing: the chain itself was cut`);
      const e = bySeq.get(s.seq.toString());
      if (s.gap) {
        if (e) return broken(s.seq, `event seq ${s.seq} (${e.id}) stands where no committed event was sealed: inserted`);
        if (gapHash(prev, s.seq) !== s.hash) return broken(s.seq, `the seal of gap ${s.seq} does not match the chain`);
      } else {
        if (!e) return broken(s.seq, `event seq ${s.seq} was sealed but is gone: deleted`);
        if (viewHash(prev, e) !== s.hash) return broken(s.seq, `event seq ${s.seq} (${e.id}) differs from what was sealed: modified or moved`);
        checked++;
      }
      prev = s.hash;
      expected = s.seq + 1n;
    }
    if (intruder && (!seals.length || intruder.seq > hi)) return broken(intruder.seq, `event seq ${intruder.seq} (${intruder.id}) is not in the chain: inserted after sealing`);
    if (!seals.length) break;
    cursor = hi;
  }
  // The sealer's state says the chain reaches `to`: seals missing at its end were cut off.
  if (cursor < to) return broken(cursor + 1n, `seal for seq ${cursor + 1n} is missing: the chain itself was cut`);
  const checkpoint = await latestCheckpointProblem(db);
  if (checkpoint) return { ok: false, checked, firstBrokenSeq: checkpoint.seq, detail: checkpoint.detail, unsealed: 0 };
  const [{ unsealed }] = (await db.$queryRaw<{ unsealed: bigint }[]>(Prisma.sql`SELECT count(*)::bigint AS unsealed FROM "audit_events" WHERE "seq" > ${state.lastSeq}`)) as [{ unsealed: bigint }];
  return { ok: true, checked, firstBrokenSeq: null, detail: `${checked} events verified through seq ${to}${unsealed ? `; ${unsealed} newer events not sealed yet` : ""}`, unsealed: Number(unsealed) };
}

async function latestCheckpointProblem(db: Db): Promise<{ seq: string; detail: string } | null> {
  const cp = await db.auditCheckpoint.findFirst({ orderBy: { createdAt: "desc" } });
  if (!cp) return null;
  const seal = await db.auditSeal.findUnique({ where: { seq: cp.headSeq } });
  if (!seal) return { seq: cp.headSeq.toString(), detail: `checkpoint ${cp.id} vouches for seq ${cp.headSeq}, which is no longer sealed: truncated` };
  if (seal.hash !== cp.headHash) return { seq: cp.headSeq.toString(), detail: `checkpoint ${cp.id} vouches for a different head hash at seq ${cp.headSeq}: rewritten` };
  return null;
}

export type CheckpointClaims = { typ: "lanyard-audit-checkpoint"; headSeq: string; headHash: string; count: string; iat: number };

/** Signs the chain's head with the lease-token key (Ed25519 JWS), so anyone with the JWKS can check it later. */
export async function writeCheckpoint(db: Db): Promise<{ id: string } | null> {
  const state = await db.auditSealState.findUniqueOrThrow({ where: { id: 1 } });
  if (state.lastSeq === 0n) return null;
  const last = await db.auditCheckpoint.findFirst({ orderBy: { createdAt: "desc" } });
  if (last && last.headSeq === state.lastSeq) return null;
  const { signer } = await keys(db);
  const claims: CheckpointClaims = { typ: "lanyard-audit-checkpoint", headSeq: state.lastSeq.toString(), headHash: state.lastHash, count: state.count.toString(), iat: Math.floor(Date.now() / 1000) };
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader({ alg: ALG, kid: signer.kid, typ: "lanyard-checkpoint+jws" }).sign(signer.privateKey);
  const id = newId("chk");
  await db.auditCheckpoint.create({ data: { id, headSeq: state.lastSeq, headHash: state.lastHash, count: state.count, kid: signer.kid, jws } });
  return { id };
}

/** Verifies a checkpoint JWS against a JWKS (as an outside party would). */
export async function verifyCheckpointJws(jws: string, jwks: { keys: JWK[] }): Promise<CheckpointClaims> {
  const { protectedHeader, payload } = await compactVerify(jws, async (header) => {
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    if (!jwk) throw new Error(`unknown kid ${header.kid}`);
    return importJWK(jwk, ALG);
  }, { algorithms: [ALG] });
  if (protectedHeader.typ !== "lanyard-checkpoint+jws") throw new Error("not a Lanyard checkpoint");
  return JSON.parse(new TextDecoder().decode(payload)) as CheckpointClaims;
}

/** A verify bound given as a seq ("1200") or an ISO time, as a seq; undefined when absent. */
export async function seqBound(db: Db, raw: string | undefined, side: "from" | "to"): Promise<bigint | undefined> {
  if (!raw) return undefined;
  if (/^\d{1,19}$/.test(raw)) return BigInt(raw);
  const at = new Date(raw);
  if (Number.isNaN(at.getTime())) throw new AppError("invalid_request", `${side}: a seq or an ISO time`, [{ path: [side], message: "a seq or an ISO time" }]);
  const [r] = side === "from"
    ? await db.$queryRaw<{ seq: bigint | null }[]>(Prisma.sql`SELECT min("seq") AS seq FROM "audit_events" WHERE "at" >= ${at}`)
    : await db.$queryRaw<{ seq: bigint | null }[]>(Prisma.sql`SELECT max("seq") AS seq FROM "audit_events" WHERE "at" <= ${at}`);
  return r?.seq ?? (side === "from" ? BigInt("9223372036854775807") : 0n);
}
