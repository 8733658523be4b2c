import { availableParallelism } from "node:os";
import { AppError } from "@/lib/errors";
import { Prisma } from "@/lib/generated/prisma/client";
import { GENESIS } from "@/lib/audit/chain";
import { CHECKPOINT_INTERVAL_MS, checkCheckpoints, checkpointFreshness, keyLookup, openWitness, witnessProblem } from "@/lib/audit/checkpoints";
import { requireUtf8 } from "@/lib/audit/seal";
import type { Db } from "@/lib/db";
import { hasPgCode } from "@/lib/db-errors";

/**
 * `checkpoints`: signed checkpoints checked; `checkpointStale`: the chain has grown beyond the newest
 * checkpoint for more than two checkpoint intervals (a warning: the newest events are not yet vouched
 * for outside the database), `lastCheckpointAt` the newest checkpoint's time.
 */
export type VerifyResult = { ok: boolean; checked: number; firstBrokenSeq: string | null; detail: string; unsealed: number; checkpoints: number; checkpointStale: boolean; lastCheckpointAt: string | null };
export type VerifyOptions = { fromSeq?: bigint; toSeq?: bigint; rangeSize?: number; witness?: string; checkpointIntervalMs?: number };

/** Seqs per range query, and ranges checked at once (PostgreSQL does the hashing: one backend each). */
export const VERIFY_RANGE = 50_000;
export const VERIFY_PARALLEL = Math.max(2, Math.min(4, availableParallelism()));

type Problem = "unsealed" | "cut" | "gap_filled" | "gap_hash" | "deleted" | "modified" | "malformed" | "unexplained";
type RangeResult = { checked: number; lastSealed: bigint | null; first: { seq: bigint; problem: Problem; id: string | null } | null };

const DETAIL: Record<Problem, (seq: bigint, id: string | null) => string> = {
  unsealed: (seq, id) => `event seq ${seq} (${id}) has no seal in the chain: inserted after sealing, or its seal was cut out`,
  cut: (seq) => `seal for seq ${seq} is missing: the chain itself was cut`,
  gap_filled: (seq, id) => `event seq ${seq} (${id}) stands where no committed event was sealed: inserted`,
  gap_hash: (seq) => `the seal of gap ${seq} does not match the chain`,
  deleted: (seq) => `event seq ${seq} was sealed but is gone: deleted`,
  modified: (seq, id) => `event seq ${seq} (${id}) differs from what was sealed: modified or moved`,
  malformed: (seq) => `the seal of seq ${seq} is not a sha-256 hash: rewritten`,
  unexplained: (seq) => `the range from seq ${seq} does not verify, and its first bad seq could not be named`,
};

/**
 * A seal that is not hex makes PostgreSQL's decode() fail the range's statement (22023): find it and
 * name it, instead of failing verify with an error. Any other error is thrown.
 */
async function malformedSeal(db: Db, err: unknown, lo: bigint, hi: bigint): Promise<RangeResult> {
  if (!hasPgCode(err, "22023")) throw err;
  const [row] = await db.$queryRaw<{ seq: bigint | null }[]>(Prisma.sql`SELECT min("seq") AS seq FROM "audit_seals" WHERE "seq" >= ${lo - 1n} AND "seq" <= ${hi} AND "hash" !~ '^[0-9a-f]{64}$'`);
  if (row?.seq === null || row?.seq === undefined) throw err;
  return { checked: 0, lastSealed: null, first: { seq: row.seq, problem: "malformed", id: null } };
}

/**
 * Recomputes every link of the chain over [fromSeq, toSeq] and names the first event that was
 * modified or moved (its link no longer hashes to its seal), deleted (sealed, now missing), or
 * inserted (present where no seal stands, or where a gap was sealed), and the first seal cut out.
 * Each link depends only on its event and the stored hash before it, so ranges are checked in
 * parallel inside PostgreSQL. Beside them, every signed checkpoint from fromSeq on is checked
 * (signature, signed head against the chain, link to the one before), and so is a witness's checkpoint
 * when given: they catch a log re-chained after the fact, and a truncation of events, seals and
 * checkpoints together.
 */
export async function verifyChain(db: Db, range: VerifyOptions = {}): Promise<VerifyResult> {
  await requireUtf8(db);
  const lookup = await keyLookup(db);
  const witness = range.witness === undefined ? undefined : await openWitness(range.witness, lookup);
  const state = await db.auditSealState.findUniqueOrThrow({ where: { id: 1 } });
  const from = range.fromSeq !== undefined && range.fromSeq > 1n ? range.fromSeq : 1n;
  const to = range.toSeq !== undefined && range.toSeq < state.lastSeq ? range.toSeq : state.lastSeq;
  const ranges: [bigint, bigint][] = [];
  const size = BigInt(range.rangeSize ?? VERIFY_RANGE);
  for (let lo = from; lo <= to; lo += size) ranges.push([lo, lo + size - 1n < to ? lo + size - 1n : to]);
  let checked = 0;
  let first: RangeResult["first"] = null;
  let next = 0;
  // Ranges are taken in order; once a break is found, ranges after it are not started.
  const worker = async () => {
    while (next < ranges.length) {
      const [lo, hi] = ranges[next++]!;
      if (first && lo > first.seq) return;
      let r = await rangeIntact(db, lo, hi);
      if (!r) {
        r = await checkRange(db, lo, hi, from).catch((err: unknown) => malformedSeal(db, err, lo, hi));
        // Fail closed: a range that did not check out is never reported intact, even if unnamed.
        r.first ??= { seq: lo, problem: "unexplained", id: null };
      }
      checked += r.checked;
      if (r.first && (!first || r.first.seq < first.seq)) first = r.first;
    }
  };
  // Checkpoints are few (one a minute at most) and checked beside the ranges, not after them.
  const [, cps, fresh] = await Promise.all([
    Promise.all(Array.from({ length: Math.min(VERIFY_PARALLEL, ranges.length) }, worker)),
    checkCheckpoints(db, lookup, from, state.lastSeq),
    checkpointFreshness(db, state.lastSeq, range.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS),
  ]);
  const staleNote = fresh.stale ? `; warning: no checkpoint since ${fresh.lastCheckpointAt ?? "the chain began"}, though the chain has grown since` : "";
  const base = { checked, checkpoints: cps.checked, checkpointStale: fresh.stale, lastCheckpointAt: fresh.lastCheckpointAt };
  const broken = first as RangeResult["first"];
  if (broken) return { ...base, ok: false, firstBrokenSeq: broken.seq.toString(), detail: DETAIL[broken.problem](broken.seq, broken.id) + staleNote, unsealed: 0 };
  const vouched = (witness && (await witnessProblem(db, witness, state.lastSeq))) ?? cps.first;
  if (vouched) return { ...base, ok: false, firstBrokenSeq: vouched.seq.toString(), detail: vouched.detail + staleNote, unsealed: 0 };
  const [{ unsealed }] = (await db.$queryRaw<{ unsealed: bigint }[]>(Prisma.sql`SELECT count(*)::bigint AS unsealed FROM "audit_events" WHERE "seq" > ${state.lastSeq}`)) as [{ unsealed: bigint }];
  const notes = [
    `${checked} events verified through seq ${to}`,
    `${cps.checked} signed checkpoints hold`,
    ...(witness && "claims" in witness ? [`the witness's checkpoint at seq ${witness.claims.headSeq} matches`] : []),
    ...(unsealed ? [`${unsealed} newer events not sealed yet`] : []),
  ];
  return { ...base, ok: true, firstBrokenSeq: null, detail: notes.join("; ") + staleNote, unsealed: Number(unsealed) };
}

const inflight = new Map<string, Promise<VerifyResult>>();
let queue: Promise<unknown> = Promise.resolve();

/**
 * verifyChain for requests: one verify at a time in this process (each takes a PostgreSQL backend per
 * core while it runs, and the decision path needs them too), and requests for the same range while one
 * is running or queued share its answer instead of hashing the log again.
 */
export function verifyChainShared(db: Db, range: { fromSeq?: bigint; toSeq?: bigint; witness?: string } = {}): Promise<VerifyResult> {
  const key = `${range.fromSeq ?? ""}:${range.toSeq ?? ""}:${range.witness ?? ""}`;
  const pending = inflight.get(key);
  if (pending) return pending;
  const run = queue.then(() => verifyChain(db, range));
  queue = run.catch(() => {});
  inflight.set(key, run);
  void run.finally(() => inflight.delete(key)).catch(() => {});
  return run;
}

/**
 * The common case, cheaply: is [lo, hi] intact? Intact means one seal per seq (seqs are unique, so
 * hi - lo + 1 of them is every seq), the seal before lo present, an event under every event seal and
 * none under a gap seal or outside the seals, and every link rehashing to its seal. Returns null on any
 * doubt (a malformed hash included): checkRange then finds and names the first problem.
 */
async function rangeIntact(db: Db, lo: bigint, hi: bigint): Promise<RangeResult | null> {
  const rows = await db.$queryRaw<{ seals: bigint; events: bigint; bad: bigint }[]>(Prisma.sql`
    WITH s AS (
      SELECT "seq", "hash", "gap", lag("hash") OVER (ORDER BY "seq") AS "prevHash"
      FROM "audit_seals" WHERE "seq" >= ${lo - 1n} AND "seq" <= ${hi}
    ), e AS (
      SELECT "seq", lanyard_audit_digest(e) AS "digest" FROM "audit_events" e WHERE "seq" >= ${lo} AND "seq" <= ${hi}
    )
    SELECT count(s."seq") AS "seals", count(e."seq") AS "events",
      count(*) FILTER (WHERE s."seq" IS NULL OR (s."prevHash" IS NULL AND s."seq" > 1) OR s."gap" = (e."seq" IS NOT NULL)
        OR sha256(decode(coalesce(s."prevHash", ${GENESIS}), 'hex') || CASE WHEN s."gap" THEN convert_to('gap:' || s."seq", 'UTF8') ELSE e."digest" END) <> decode(s."hash", 'hex')) AS "bad"
    FROM s FULL JOIN e ON e."seq" = s."seq"
    WHERE s."seq" IS NULL OR s."seq" >= ${lo}`).catch((err: unknown) => {
    if (hasPgCode(err, "22023")) return null;
    throw err;
  });
  const row = rows?.[0];
  if (!row || row.bad !== 0n || row.seals !== hi - lo + 1n) return null;
  return { checked: Number(row.events), lastSealed: hi, first: null };
}

/**
 * One range [lo, hi] in one statement, when rangeIntact had doubts: seals (with the one before lo, for
 * the first link) merge-joined with events and their digests; every link recomputed; the first problem
 * and the count of good events.
 * A missing seal shows as a seal whose predecessor is not seq - 1, or as the range ending early.
 */
async function checkRange(db: Db, lo: bigint, hi: bigint, from: bigint): Promise<RangeResult> {
  const before = lo > 1n ? lo - 1n : 1n;
  const [row] = await db.$queryRaw<{ checked: bigint; lastSealed: bigint | null; first: [string, Problem, string | null] | null }[]>(Prisma.sql`
    WITH s AS (
      SELECT "seq", "hash", "gap", lag("seq") OVER w AS "prevSeq", lag("hash") OVER w AS "prevHash"
      FROM "audit_seals" WHERE "seq" >= ${lo - 1n} AND "seq" <= ${hi} WINDOW w AS (ORDER BY "seq")
    ), e AS (
      SELECT "seq", "id", lanyard_audit_digest(e) AS "digest" FROM "audit_events" e WHERE "seq" >= ${lo} AND "seq" <= ${hi}
    ), v AS (
      SELECT coalesce(s."seq", e."seq") AS "seq", e."id", s."seq" AS "sealed", coalesce(s."gap", false) AS "gap",
        CASE
          WHEN s."seq" IS NULL THEN 'unsealed'
          WHEN s."seq" > 1 AND s."prevSeq" IS DISTINCT FROM s."seq" - 1 THEN 'cut'
          WHEN s."gap" AND e."seq" IS NOT NULL THEN 'gap_filled'
          WHEN s."gap" THEN CASE WHEN sha256(decode(coalesce(s."prevHash", ${GENESIS}), 'hex') || convert_to('gap:' || s."seq", 'UTF8')) = decode(s."hash", 'hex') THEN NULL ELSE 'gap_hash' END
          WHEN e."seq" IS NULL THEN 'deleted'
          WHEN sha256(decode(coalesce(s."prevHash", ${GENESIS}), 'hex') || e."digest") = decode(s."hash", 'hex') THEN NULL
          ELSE 'modified'
        END AS "problem",
        CASE WHEN s."seq" IS NOT NULL THEN coalesce(s."prevSeq" + 1, ${lo === from ? before : lo}) ELSE e."seq" END AS "at"
      FROM s FULL JOIN e ON e."seq" = s."seq"
      WHERE s."seq" IS NULL OR s."seq" >= ${lo}
    )
    SELECT count(*) FILTER (WHERE "problem" IS NULL AND NOT "gap") AS "checked", max("sealed") AS "lastSealed",
      (array_agg(json_build_array(CASE WHEN "problem" = 'cut' THEN "at" ELSE "seq" END, "problem", "id") ORDER BY CASE WHEN "problem" = 'cut' THEN "at" ELSE "seq" END) FILTER (WHERE "problem" IS NOT NULL))[1] AS "first"
    FROM v`);
  let first: RangeResult["first"] = row!.first ? { seq: BigInt(row!.first[0]), problem: row!.first[1], id: row!.first[2] } : null;
  // Seals missing at the end of the range (the chain's end, when hi is the sealed head).
  const lastSealed = row!.lastSealed;
  if ((lastSealed ?? lo - 1n) < hi) {
    const seq = (lastSealed ?? lo - 1n) + 1n;
    if (!first || seq < first.seq) first = { seq, problem: "cut", id: null };
  }
  return { checked: Number(row!.checked), lastSealed, first };
}

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
