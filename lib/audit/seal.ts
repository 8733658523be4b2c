import { Prisma } from "@/lib/generated/prisma/client";
import { gapHash, linkHash } from "@/lib/audit/chain";
import type { Db, Tx } from "@/lib/db";

/**
 * A gap is waited out this long at least, beyond the transaction horizon (the real guard), before it
 * is sealed as permanent: it covers the instant between nextval() and the inserting transaction taking
 * its xid, and keeps the seal lag within about 2 s.
 */
const GAP_GRACE_MS = 1_000;

/**
 * Extends the hash chain over committed audit events, strictly in seq order. It runs beside the
 * decision path, never in it: writers only INSERT, and this reads what they committed. One instance
 * seals at a time (advisory lock). A missing seq (an insert that rolled back) blocks the chain until
 * every transaction running when the gap was seen has ended, and 1 s has passed; then it is sealed as
 * a gap, so an event forged into it later is detected as inserted.
 */
export async function sealPending(db: Db, max = 20_000): Promise<{ sealed: number; gaps: number; waiting: boolean }> {
  return db.$transaction(
    async (tx) => {
      const [lock] = await tx.$queryRaw<{ locked: boolean }[]>(Prisma.sql`SELECT pg_try_advisory_xact_lock(hashtext('lanyard.audit_seal')) AS locked`);
      if (!lock?.locked) return { sealed: 0, gaps: 0, waiting: false };
      await requireUtf8(tx);
      const state = await tx.auditSealState.findUniqueOrThrow({ where: { id: 1 } });
      const [snap] = await tx.$queryRaw<{ xmin: string; xmax: string }[]>(Prisma.sql`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin, pg_snapshot_xmax(pg_current_snapshot())::text AS xmax`);
      const events = await fetchDigestsAfter(tx, state.lastSeq, max);
      let expected = state.lastSeq + 1n;
      let hash = state.lastHash;
      let gaps = 0;
      let waiting = false;
      let gapUpdate: { gapSeq: bigint | null; gapXmax: string | null; gapSeenAt: Date | null } = { gapSeq: null, gapXmax: null, gapSeenAt: null };
      const seals: { seq: bigint; hash: string; gap: boolean }[] = [];
      for (const { seq, digest } of events) {
        if (seq > expected) {
          const seenBefore = state.gapSeq === expected && state.gapXmax && state.gapSeenAt;
          const permanent = seenBefore && BigInt(snap!.xmin) > BigInt(state.gapXmax!) && Date.now() - state.gapSeenAt!.getTime() > GAP_GRACE_MS;
          if (!permanent) {
            gapUpdate = seenBefore ? { gapSeq: state.gapSeq, gapXmax: state.gapXmax, gapSeenAt: state.gapSeenAt } : { gapSeq: expected, gapXmax: snap!.xmax, gapSeenAt: new Date() };
            waiting = true;
            break;
          }
          for (; expected < seq; expected++, gaps++) {
            hash = gapHash(hash, expected);
            seals.push({ seq: expected, hash, gap: true });
          }
        }
        hash = linkHash(hash, digest);
        seals.push({ seq, hash, gap: false });
        expected = seq + 1n;
      }
      for (let i = 0; i < seals.length; i += 20_000) {
        const part = seals.slice(i, i + 20_000);
        await tx.$executeRaw(Prisma.sql`
          INSERT INTO "audit_seals" ("seq", "hash", "gap")
          SELECT * FROM unnest(${part.map((s) => s.seq.toString())}::bigint[], ${part.map((s) => s.hash)}::text[], ${part.map((s) => s.gap)}::boolean[])`);
      }
      await tx.auditSealState.update({
        where: { id: 1 },
        data: { lastSeq: expected - 1n, lastHash: hash, count: state.count + BigInt(seals.length - gaps), ...gapUpdate },
      });
      return { sealed: seals.length - gaps, gaps, waiting };
    },
    { timeout: 60_000 },
  );
}

/**
 * Up to `limit` committed events after `afterSeq`, oldest first, as (seq, digest): PostgreSQL
 * computes the digests, and a batch crosses the driver as one text value.
 */
export async function fetchDigestsAfter(db: Db | Tx, afterSeq: bigint, limit: number): Promise<{ seq: bigint; digest: Buffer }[]> {
  const [row] = await db.$queryRaw<{ digests: string }[]>(Prisma.sql`
    SELECT coalesce(string_agg("seq"::text || ':' || encode("digest", 'hex'), ',' ORDER BY "seq"), '') AS digests
    FROM (SELECT "seq", lanyard_audit_digest(e) AS "digest" FROM "audit_events" e WHERE "seq" > ${afterSeq} ORDER BY "seq" LIMIT ${limit}) x`);
  if (!row!.digests) return [];
  return row!.digests.split(",").map((pair) => {
    const at = pair.indexOf(":");
    return { seq: BigInt(pair.slice(0, at)), digest: Buffer.from(pair.slice(at + 1), "hex") };
  });
}

let utf8Checked = false;

/**
 * The digest sends text in the client encoding; every Lanyard connection speaks UTF-8 (the driver sets
 * it for all of them), and this says so if one does not. Checked once per process.
 */
export async function requireUtf8(db: Db | Tx): Promise<void> {
  if (utf8Checked) return;
  const [row] = await db.$queryRaw<{ encoding: string }[]>(Prisma.sql`SELECT current_setting('client_encoding') AS encoding`);
  if (row?.encoding !== "UTF8") throw new Error(`audit digests need client_encoding UTF8, this connection has ${row?.encoding}`);
  utf8Checked = true;
}
