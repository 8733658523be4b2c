import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { CompactSign, decodeProtectedHeader, generateKeyPair } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "@/lib/generated/prisma/client";
import { appendAudit } from "@/lib/audit/append";
import { eventDigest, gapHash, GENESIS, linkHash } from "@/lib/audit/chain";
import { newId } from "@/lib/ids";
import { exportStream } from "@/lib/audit/export";
import { headFromExport } from "@/lib/audit/offline";
import { fetchDigestsAfter, sealPending } from "@/lib/audit/seal";
import { checkpointDigest, signCheckpoint, verifyCheckpointJws, writeCheckpoint } from "@/lib/audit/checkpoints";
import { verifyChain, verifyChainShared } from "@/lib/audit/verify";
import { db } from "@/lib/db";
import { ownerDb } from "@/test/owner-db";
import { jwks, keys } from "@/lib/tokens/keys";

// Every test that seals or tampers with the one global chain lives in this file, so that they run one
// after another (files run in parallel). Each verifies from its own first event, so an unrelated
// history in a reused local database cannot decide the outcome.

/** Tampering as a database superuser would: with the append-only triggers switched off for one statement. */
async function asSuperuser(sql: Prisma.Sql) {
  await ownerDb().$transaction(async (tx) => {
    await tx.$executeRaw(Prisma.sql`SET LOCAL session_replication_role = replica`);
    await tx.$executeRaw(sql);
  });
}

async function appendMany(n: number, tag: string) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await db().$transaction((tx) => appendAudit(tx, { action: "test.event", actor: { type: "system", label: tag }, payload: { i, tag } })));
  const rows = await db().auditEvent.findMany({ where: { id: { in: ids } }, orderBy: { seq: "asc" } });
  return rows;
}

/**
 * Seals every event committed so far. Other files' rolled-back writes leave gaps that hold the chain
 * for a second or more each, so this waits (up to 30 s) until the chain reaches the last event there was when called,
 * and says so if it does not, rather than letting a later assertion fail for a confusing reason.
 */
async function sealAll() {
  const [{ last }] = (await db().$queryRaw<{ last: bigint }[]>(Prisma.sql`SELECT coalesce(max("seq"), 0)::bigint AS last FROM "audit_events"`)) as [{ last: bigint }];
  for (const deadline = Date.now() + 30_000; ; ) {
    const r = await sealPending(db());
    const { lastSeq } = await db().auditSealState.findUniqueOrThrow({ where: { id: 1 } });
    if (lastSeq >= last) return;
    if (Date.now() > deadline) throw new Error(`sealAll: the chain reached seq ${lastSeq}, not ${last}, in 30 s`);
    if (r.waiting || r.sealed === 0) await new Promise((res) => setTimeout(res, 250));
  }
}

/**
 * verifyChain from `fromSeq` (to `toSeq`), checked in one range and again split into ranges of 1, 2 and
 * 3 seqs (checked in parallel): a break at or across a range boundary must be named the same way.
 */
async function verify(fromSeq: bigint, toSeq?: bigint) {
  const whole = await verifyChain(db(), { fromSeq, toSeq });
  for (const rangeSize of [1, 2, 3]) {
    const split = await verifyChain(db(), { fromSeq, toSeq, rangeSize });
    expect({ ok: split.ok, firstBrokenSeq: split.firstBrokenSeq, detail: split.ok ? "" : split.detail }).toEqual({ ok: whole.ok, firstBrokenSeq: whole.firstBrokenSeq, detail: whole.ok ? "" : whole.detail });
  }
  return whole;
}

/** Polls `f` until it returns a value (not null), for up to 10 s. */
async function poll<T>(f: () => Promise<T | null>): Promise<T> {
  for (const deadline = Date.now() + 10_000; ; ) {
    const v = await f();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error("poll: timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

type EventRow = Awaited<ReturnType<typeof appendMany>>[number];

/**
 * Forges `victim` and re-chains the log from it through `toSeq`, as an owner covering the forgery would:
 * every later seal recomputed, the seal state moved. `head` is the forged hash at toSeq; `undo` puts
 * everything back.
 */
async function forgeAndRechain(victim: EventRow, toSeq: bigint) {
  const seals = await db().auditSeal.findMany({ where: { seq: { gte: victim.seq, lte: toSeq } }, orderBy: { seq: "asc" } });
  const prev = await db().auditSeal.findUniqueOrThrow({ where: { seq: victim.seq - 1n } });
  const state = await db().auditSealState.findUniqueOrThrow({ where: { id: 1 } });
  await asSuperuser(Prisma.sql`UPDATE "audit_events" SET "payload" = '{"forged":true}' WHERE "seq" = ${victim.seq}`);
  const digests = new Map((await fetchDigestsAfter(db(), victim.seq - 1n, Number(toSeq - victim.seq) + 1)).map((d) => [d.seq, d.digest]));
  let hash = prev.hash;
  const forged = seals.map((s) => (hash = s.gap ? gapHash(hash, s.seq) : linkHash(hash, digests.get(s.seq)!)));
  const setHashes = (hashes: string[]) => asSuperuser(Prisma.sql`UPDATE "audit_seals" SET "hash" = f."hash" FROM unnest(${seals.map((s) => s.seq.toString())}::bigint[], ${hashes}::text[]) AS f("seq", "hash") WHERE "audit_seals"."seq" = f."seq"`);
  await setHashes(forged);
  if (state.lastSeq === toSeq) await ownerDb().auditSealState.update({ where: { id: 1 }, data: { lastHash: hash } });
  return {
    head: hash,
    undo: async () => {
      await asSuperuser(Prisma.sql`UPDATE "audit_events" SET "payload" = ${JSON.stringify(victim.payload)}::jsonb WHERE "seq" = ${victim.seq}`);
      await setHashes(seals.map((s) => s.hash));
      if (state.lastSeq === toSeq) await ownerDb().auditSealState.update({ where: { id: 1 }, data: { lastHash: state.lastHash } });
    },
  };
}

/** The newest checkpoint in chain order (the one the next names). */
function latestCheckpoint() {
  return db().auditCheckpoint.findFirstOrThrow({ orderBy: [{ headSeq: "desc" }, { createdAt: "desc" }, { id: "desc" }] });
}

beforeAll(async () => {
  await sealAll();
});

describe("audit chain", () => {
  it("verifies an untouched log, and a signed checkpoint verifies against the JWKS", async () => {
    const rows = await appendMany(5, "clean");
    await sealAll();
    const r = await verify(rows[0]!.seq);
    expect(r).toMatchObject({ ok: true, firstBrokenSeq: null });
    expect(r.checked).toBeGreaterThanOrEqual(5);
    const previous = await latestCheckpoint().catch(() => null);
    const cp = await writeCheckpoint(db());
    expect(cp).not.toBeNull();
    const row = await db().auditCheckpoint.findUniqueOrThrow({ where: { id: cp!.id } });
    const claims = await verifyCheckpointJws(row.jws, await jwks(db()));
    // Each checkpoint names the one before it, so none can be dropped or slipped in unnoticed.
    expect(claims).toMatchObject({ typ: "lanyard-audit-checkpoint", headSeq: row.headSeq.toString(), headHash: row.headHash, prev: previous ? checkpointDigest(previous.jws) : null });
    expect((await verify(rows[0]!.seq)).checkpoints).toBeGreaterThanOrEqual(1);
    expect(decodeProtectedHeader(row.jws).alg).toBe("EdDSA");
  });

  it("names the first modified event, and verifies again once it is restored", async () => {
    const rows = await appendMany(4, "modify");
    await sealAll();
    const victim = rows[1]!;
    await asSuperuser(Prisma.sql`UPDATE "audit_events" SET "payload" = '{"i":1,"tag":"forged"}' WHERE "seq" = ${victim.seq}`);
    const r = await verify(rows[0]!.seq);
    expect(r.ok).toBe(false);
    expect(r.firstBrokenSeq).toBe(victim.seq.toString());
    expect(r.detail).toMatch(/modified/);
    await asSuperuser(Prisma.sql`UPDATE "audit_events" SET "payload" = ${JSON.stringify(victim.payload)}::jsonb WHERE "seq" = ${victim.seq}`);
    expect((await verify(rows[0]!.seq)).ok).toBe(true);
  });

  it("names a deleted event, and verifies again once it is restored", async () => {
    const rows = await appendMany(3, "delete");
    await sealAll();
    const victim = rows[1]!;
    await asSuperuser(Prisma.sql`DELETE FROM "audit_events" WHERE "seq" = ${victim.seq}`);
    const r = await verify(rows[0]!.seq);
    expect(r).toMatchObject({ ok: false, firstBrokenSeq: victim.seq.toString() });
    expect(r.detail).toMatch(/deleted/);
    await asSuperuser(Prisma.sql`INSERT INTO "audit_events" ("seq", "id", "at", "action", "actorType", "actorId", "actorLabel", "payload") VALUES (${victim.seq}, ${victim.id}, ${victim.at}, ${victim.action}, ${victim.actorType}, ${victim.actorId}, ${victim.actorLabel}, ${JSON.stringify(victim.payload)}::jsonb)`);
    expect((await verify(rows[0]!.seq)).ok).toBe(true);
  });

  it("names two swapped events (the first of them)", async () => {
    const rows = await appendMany(3, "swap");
    await sealAll();
    const [a, b] = [rows[0]!, rows[2]!];
    const swap = (x: typeof a, y: typeof a) => asSuperuser(Prisma.sql`UPDATE "audit_events" SET "payload" = ${JSON.stringify(y.payload)}::jsonb, "id" = ${`${y.id}_tmp`} WHERE "seq" = ${x.seq}`);
    await swap(a, b);
    await swap(b, a);
    const r = await verify(rows[0]!.seq);
    expect(r).toMatchObject({ ok: false, firstBrokenSeq: a.seq.toString() });
    await asSuperuser(Prisma.sql`UPDATE "audit_events" SET "payload" = ${JSON.stringify(a.payload)}::jsonb, "id" = ${a.id} WHERE "seq" = ${a.seq}`);
    await asSuperuser(Prisma.sql`UPDATE "audit_events" SET "payload" = ${JSON.stringify(b.payload)}::jsonb, "id" = ${b.id} WHERE "seq" = ${b.seq}`);
    expect((await verify(rows[0]!.seq)).ok).toBe(true);
  });

  it("names an event forged into the past (into a sealed gap left by a rolled-back write)", async () => {
    const rows = await appendMany(1, "gap-before");
    await db().$transaction(async (tx) => {
      await appendAudit(tx, { action: "test.event", actor: { type: "system" } });
      throw new Error("roll back");
    }).catch(() => {});
    await appendMany(1, "gap-after");
    await sealAll();
    const gap = await db().auditSeal.findFirst({ where: { gap: true }, orderBy: { seq: "desc" } });
    expect(gap).not.toBeNull();
    await asSuperuser(Prisma.sql`INSERT INTO "audit_events" ("seq", "id", "action", "actorType", "payload") VALUES (${gap!.seq}, ${`evt_forged${gap!.seq}`}, 'lease.approved', 'user', '{}'::jsonb)`);
    const r = await verify(rows[0]!.seq);
    expect(r).toMatchObject({ ok: false, firstBrokenSeq: gap!.seq.toString() });
    expect(r.detail).toMatch(/inserted/);
    await asSuperuser(Prisma.sql`DELETE FROM "audit_events" WHERE "seq" = ${gap!.seq}`);
    expect((await verify(rows[0]!.seq)).ok).toBe(true);
  });

  it("detects a truncation of events and seals together, by the chain and by a signed checkpoint", async () => {
    const rows = await appendMany(2, "truncate");
    await sealAll();
    const last = rows[1]!;
    const seal = await db().auditSeal.findUniqueOrThrow({ where: { seq: last.seq } });
    // A signed checkpoint vouching for our event (other test files keep appending, so it need not be the head).
    await writeCheckpoint(db());
    const { signer } = await keys(db());
    const latest = await latestCheckpoint();
    const vouching = await db().$transaction((tx) => signCheckpoint(tx, signer, { seq: seal.seq, hash: seal.hash, count: 0n }, latest.jws));
    await asSuperuser(Prisma.sql`DELETE FROM "audit_events" WHERE "seq" = ${last.seq}`);
    await asSuperuser(Prisma.sql`DELETE FROM "audit_seals" WHERE "seq" = ${last.seq}`);
    const walked = await verify(rows[0]!.seq);
    expect(walked).toMatchObject({ ok: false, firstBrokenSeq: last.seq.toString() });
    expect(walked.detail).toMatch(/cut/);
    // Up to just before the cut the chain is intact; the checkpoint alone still names the truncation.
    const vouched = await verify(rows[0]!.seq, last.seq - 1n);
    expect(vouched).toMatchObject({ ok: false, firstBrokenSeq: last.seq.toString() });
    expect(vouched.detail).toMatch(/truncated/);
    await asSuperuser(Prisma.sql`INSERT INTO "audit_events" ("seq", "id", "at", "action", "actorType", "actorId", "actorLabel", "payload") VALUES (${last.seq}, ${last.id}, ${last.at}, ${last.action}, ${last.actorType}, ${last.actorId}, ${last.actorLabel}, ${JSON.stringify(last.payload)}::jsonb)`);
    await asSuperuser(Prisma.sql`INSERT INTO "audit_seals" ("seq", "hash", "gap", "sealedAt") VALUES (${seal.seq}, ${seal.hash}, false, ${seal.sealedAt})`);
    // The test's checkpoint stands out of chain order (it names the latest one): take it back out.
    await asSuperuser(Prisma.sql`DELETE FROM "audit_checkpoints" WHERE "id" = ${vouching.id}`);
    expect((await verify(rows[0]!.seq)).ok).toBe(true);
  });

  it("names a seal cut out of the middle of the chain, and a seal rewritten", async () => {
    const rows = await appendMany(4, "seal-tamper");
    await sealAll();
    const victim = await db().auditSeal.findUniqueOrThrow({ where: { seq: rows[1]!.seq } });
    await asSuperuser(Prisma.sql`DELETE FROM "audit_seals" WHERE "seq" = ${victim.seq}`);
    const cut = await verify(rows[0]!.seq);
    expect(cut).toMatchObject({ ok: false, firstBrokenSeq: victim.seq.toString() });
    expect(cut.detail).toMatch(/no seal.*its seal was cut out/);
    await asSuperuser(Prisma.sql`INSERT INTO "audit_seals" ("seq", "hash", "gap", "sealedAt") VALUES (${victim.seq}, ${"f".repeat(64)}, false, ${victim.sealedAt})`);
    const rewritten = await verify(rows[0]!.seq);
    expect(rewritten).toMatchObject({ ok: false, firstBrokenSeq: victim.seq.toString() });
    expect(rewritten.detail).toMatch(/modified/);
    await asSuperuser(Prisma.sql`UPDATE "audit_seals" SET "hash" = 'not a hash' WHERE "seq" = ${victim.seq}`);
    const garbled = await verify(rows[0]!.seq);
    expect(garbled).toMatchObject({ ok: false, firstBrokenSeq: victim.seq.toString() });
    expect(garbled.detail).toMatch(/not a sha-256 hash/);
    await asSuperuser(Prisma.sql`UPDATE "audit_seals" SET "hash" = ${victim.hash} WHERE "seq" = ${victim.seq}`);
    expect((await verify(rows[0]!.seq)).ok).toBe(true);
  });

  it("an outside party recomputes a signed checkpoint's head from a complete export, and a changed export does not match", async () => {
    await appendMany(2, "offline");
    await sealAll();
    const cp = await writeCheckpoint(db());
    const row = cp ? await db().auditCheckpoint.findUniqueOrThrow({ where: { id: cp.id } }) : await db().auditCheckpoint.findFirstOrThrow({ orderBy: { createdAt: "desc" } });
    const claims = await verifyCheckpointJws(row.jws, await jwks(db()));
    const lines = (await new Response(exportStream({}, "jsonl")).text()).trimEnd().split("\n");
    const head = headFromExport(lines, BigInt(claims.headSeq));
    expect(head).toEqual({ headSeq: BigInt(claims.headSeq), headHash: claims.headHash, count: BigInt(claims.count) });
    // One changed value, one event left out: either way the head differs.
    const i = lines.findIndex((l) => l.includes('"tag": "offline"'));
    expect(i).toBeGreaterThan(0);
    const changed = lines.with(i, lines[i]!.replace('"tag": "offline"', '"tag": "offlinf"'));
    expect(headFromExport(changed, BigInt(claims.headSeq)).headHash).not.toBe(claims.headHash);
    expect(headFromExport(lines.toSpliced(i, 1), BigInt(claims.headSeq)).headHash).not.toBe(claims.headHash);
  });

  it("concurrent verify requests for the same range share one run; other ranges wait their turn", async () => {
    const rows = await appendMany(1, "shared");
    await sealAll();
    const [a, b, c] = [verifyChainShared(db(), { fromSeq: rows[0]!.seq }), verifyChainShared(db(), { fromSeq: rows[0]!.seq }), verifyChainShared(db(), { fromSeq: rows[0]!.seq - 1n })];
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    const results = await Promise.all([a, b, c]);
    expect(results.every((r) => r.ok)).toBe(true);
    // Once settled, a new request runs afresh.
    const again = verifyChainShared(db(), { fromSeq: rows[0]!.seq });
    expect(again).not.toBe(a);
    expect((await again).ok).toBe(true);
  });

  it("each seal is h(n-1) linked with the event's digest, as chain.ts computes it from the exported event", async () => {
    const rows = await appendMany(3, "link");
    await sealAll();
    // Other test files append in parallel, so the three need not be neighbours: link each to its own predecessor.
    for (const row of rows) {
      const before = await db().auditSeal.findUnique({ where: { seq: row.seq - 1n } });
      const seal = await db().auditSeal.findUniqueOrThrow({ where: { seq: row.seq } });
      expect(seal.gap).toBe(false);
      expect(seal.hash).toBe(linkHash(before?.hash ?? GENESIS, eventDigest(row)));
    }
  });

  it("the application's role cannot UPDATE, DELETE or TRUNCATE the chain; the owner is stopped by the triggers", async () => {
    const [seal] = await db().auditSeal.findMany({ take: 1, orderBy: { seq: "desc" } });
    for (const sql of [Prisma.sql`UPDATE "audit_seals" SET "hash" = 'x' WHERE "seq" = ${seal!.seq}`, Prisma.sql`DELETE FROM "audit_seals" WHERE "seq" = ${seal!.seq}`, Prisma.sql`TRUNCATE "audit_seals"`, Prisma.sql`DELETE FROM "audit_checkpoints"`, Prisma.sql`TRUNCATE "audit_checkpoints"`, Prisma.sql`UPDATE "receipts" SET "digest" = 'x'`]) {
      await expect(db().$executeRaw(sql)).rejects.toThrow(/permission denied/);
    }
    await expect(ownerDb().$executeRaw(Prisma.sql`DELETE FROM "audit_seals" WHERE "seq" = ${seal!.seq}`)).rejects.toThrow(/append-only/);
    await expect(ownerDb().$executeRaw(Prisma.sql`TRUNCATE "audit_checkpoints"`)).rejects.toThrow(/append-only/);
    expect(await db().auditSeal.findUnique({ where: { seq: seal!.seq } })).toEqual(seal);
  });

  it("a re-chained log whose checkpoint column was set to the forged head is caught by the signed head", async () => {
    const rows = await appendMany(3, "rechain");
    await sealAll();
    const cp = await writeCheckpoint(db());
    expect(cp).not.toBeNull();
    const stored = await db().auditCheckpoint.findUniqueOrThrow({ where: { id: cp!.id } });
    const forged = await forgeAndRechain(rows[1]!, stored.headSeq);
    await asSuperuser(Prisma.sql`UPDATE "audit_checkpoints" SET "headHash" = ${forged.head} WHERE "id" = ${stored.id}`);
    const r = await verify(rows[0]!.seq);
    expect(r).toMatchObject({ ok: false, firstBrokenSeq: stored.headSeq.toString() });
    expect(r.detail).toMatch(new RegExp(`checkpoint ${stored.id} signed a different head hash at seq ${stored.headSeq} than the chain has now: the chain was rewritten`));
    // The column alone rewritten (the chain untouched) is named too.
    await forged.undo();
    const column = await verify(rows[0]!.seq);
    expect(column).toMatchObject({ ok: false, firstBrokenSeq: stored.headSeq.toString() });
    expect(column.detail).toMatch(/columns that differ from what it signed/);
    await asSuperuser(Prisma.sql`UPDATE "audit_checkpoints" SET "headHash" = ${stored.headHash} WHERE "id" = ${stored.id}`);
    expect((await verify(rows[0]!.seq)).ok).toBe(true);
  });

  it("a re-chained log with the newer checkpoints deleted is caught with a witness's checkpoint", async () => {
    const rows = await appendMany(2, "witness");
    await sealAll();
    const dir = await mkdtemp(path.join(tmpdir(), "lanyard-witness-"));
    const file = path.join(dir, "checkpoints.jws");
    const cp = await writeCheckpoint(db(), { witness: { file } });
    expect(cp).not.toBeNull();
    // Delivered after the commit, off the caller's path: poll for the line.
    const witnessJws = await poll(async () => (await readFile(file, "utf8").catch(() => "")).trim().split("\n").at(-1) || null);
    expect(witnessJws).toBe(cp!.jws);
    const stored = await db().auditCheckpoint.findUniqueOrThrow({ where: { id: cp!.id } });
    const forged = await forgeAndRechain(rows[1]!, stored.headSeq);
    const newer = await db().auditCheckpoint.findMany({ where: { headSeq: { gte: rows[0]!.seq } } });
    await asSuperuser(Prisma.sql`DELETE FROM "audit_checkpoints" WHERE "headSeq" >= ${rows[0]!.seq}`);
    // The database alone no longer vouches for anything after the forgery: that is what the witness is for.
    expect((await verify(rows[0]!.seq)).ok).toBe(true);
    const r = await verifyChain(db(), { fromSeq: rows[0]!.seq, witness: witnessJws });
    expect(r).toMatchObject({ ok: false, firstBrokenSeq: stored.headSeq.toString() });
    expect(r.detail).toMatch(new RegExp(`witness's checkpoint signed a different head hash at seq ${stored.headSeq}.*rewritten`));
    await forged.undo();
    for (const c of newer) await asSuperuser(Prisma.sql`INSERT INTO "audit_checkpoints" ("id", "headSeq", "headHash", "count", "kid", "jws", "createdAt") VALUES (${c.id}, ${c.headSeq}, ${c.headHash}, ${c.count}, ${c.kid}, ${c.jws}, ${c.createdAt})`);
    expect(await verifyChain(db(), { fromSeq: rows[0]!.seq, witness: witnessJws })).toMatchObject({ ok: true });
    await rm(dir, { recursive: true });
  });

  it("a truncation of seals and checkpoints together is caught by a witness's checkpoint beyond the chain's end", async () => {
    const rows = await appendMany(1, "witness-cut");
    await sealAll();
    const cp = await writeCheckpoint(db());
    expect(cp).not.toBeNull();
    const stored = await db().auditCheckpoint.findUniqueOrThrow({ where: { id: cp!.id } });
    const seals = await db().auditSeal.findMany({ where: { seq: { gte: rows[0]!.seq } } });
    const newer = await db().auditCheckpoint.findMany({ where: { headSeq: { gte: rows[0]!.seq } } });
    const state = await db().auditSealState.findUniqueOrThrow({ where: { id: 1 } });
    const before = await db().auditSeal.findUniqueOrThrow({ where: { seq: rows[0]!.seq - 1n } });
    // The events stay (other test files read theirs): the chain and its checkpoints end before them, as if never sealed.
    await asSuperuser(Prisma.sql`DELETE FROM "audit_checkpoints" WHERE "headSeq" >= ${rows[0]!.seq}`);
    await asSuperuser(Prisma.sql`DELETE FROM "audit_seals" WHERE "seq" >= ${rows[0]!.seq}`);
    await ownerDb().auditSealState.update({ where: { id: 1 }, data: { lastSeq: before.seq, lastHash: before.hash } });
    try {
      expect((await verifyChain(db(), { fromSeq: before.seq })).ok).toBe(true);
      const r = await verifyChain(db(), { fromSeq: before.seq, witness: cp!.jws });
      expect(r).toMatchObject({ ok: false, firstBrokenSeq: stored.headSeq.toString() });
      expect(r.detail).toMatch(new RegExp(`witness's checkpoint vouches for seq ${stored.headSeq}, beyond the sealed chain \\(seq ${before.seq}\\): events, seals and checkpoints were truncated`));
      // Something that is not a checkpoint at all is the caller's mistake: 400, not a verdict.
      await expect(verifyChain(db(), { witness: "not-a-checkpoint" })).rejects.toMatchObject({ code: "invalid_request" });
    } finally {
      for (let i = 0; i < seals.length; i += 5_000) {
        const part = seals.slice(i, i + 5_000);
        await asSuperuser(Prisma.sql`INSERT INTO "audit_seals" ("seq", "hash", "gap", "sealedAt") SELECT u.s, u.h, u.g, u.t::timestamptz AT TIME ZONE 'UTC' FROM unnest(${part.map((s) => s.seq.toString())}::bigint[], ${part.map((s) => s.hash)}::text[], ${part.map((s) => s.gap)}::boolean[], ${part.map((s) => s.sealedAt.toISOString())}::text[]) AS u(s, h, g, t)`);
      }
      for (const c of newer) await asSuperuser(Prisma.sql`INSERT INTO "audit_checkpoints" ("id", "headSeq", "headHash", "count", "kid", "jws", "createdAt") VALUES (${c.id}, ${c.headSeq}, ${c.headHash}, ${c.count}, ${c.kid}, ${c.jws}, ${c.createdAt})`);
      await ownerDb().auditSealState.update({ where: { id: 1 }, data: { lastSeq: state.lastSeq, lastHash: state.lastHash } });
    }
    expect(await verifyChain(db(), { fromSeq: before.seq, witness: cp!.jws })).toMatchObject({ ok: true });
  });

  it("a checkpoint whose signature is not Lanyard's is named", async () => {
    const rows = await appendMany(1, "forged-checkpoint");
    await sealAll();
    await writeCheckpoint(db());
    const latest = await latestCheckpoint();
    // Same kid, same head, linked correctly; signed with a key that is not the kid's (the application's role may INSERT).
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const claims = { typ: "lanyard-audit-checkpoint", headSeq: latest.headSeq.toString(), headHash: latest.headHash, count: latest.count.toString(), iat: Math.floor(Date.now() / 1000), prev: checkpointDigest(latest.jws) };
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader({ alg: "EdDSA", kid: latest.kid, typ: "lanyard-checkpoint+jws" }).sign(privateKey);
    const id = newId("chk");
    await db().auditCheckpoint.create({ data: { id, headSeq: latest.headSeq, headHash: latest.headHash, count: latest.count, kid: latest.kid, jws } });
    const r = await verify(rows[0]!.seq);
    expect(r).toMatchObject({ ok: false, firstBrokenSeq: latest.headSeq.toString() });
    expect(r.detail).toMatch(new RegExp(`checkpoint ${id} has a signature that does not verify`));
    await asSuperuser(Prisma.sql`DELETE FROM "audit_checkpoints" WHERE "id" = ${id}`);
    expect((await verify(rows[0]!.seq)).ok).toBe(true);
  });

  it("says when no checkpoint has vouched for a grown chain for two intervals", async () => {
    await sealAll();
    await writeCheckpoint(db());
    const rows = await appendMany(1, "stale");
    await sealAll();
    const seal = await db().auditSeal.findUniqueOrThrow({ where: { seq: rows[0]!.seq } });
    await poll(async () => Date.now() - seal.sealedAt.getTime() > 10 || null);
    // With one-minute checkpoints, a chain sealed a moment ago is not stale; with 1 ms ones it is.
    expect(await verifyChain(db(), { fromSeq: rows[0]!.seq })).toMatchObject({ ok: true, checkpointStale: false });
    const stale = await verifyChain(db(), { fromSeq: rows[0]!.seq, checkpointIntervalMs: 1 });
    expect(stale).toMatchObject({ ok: true, checkpointStale: true });
    expect(stale.detail).toMatch(/warning: no checkpoint since \d{4}-\d\d-\d\dT/);
    await writeCheckpoint(db());
    expect(await verifyChain(db(), { fromSeq: rows[0]!.seq, checkpointIntervalMs: 1 })).toMatchObject({ ok: true, checkpointStale: false });
  });
});
