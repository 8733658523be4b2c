import { decodeProtectedHeader } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "@/lib/generated/prisma/client";
import { appendAudit } from "@/lib/audit/append";
import { eventDigest, GENESIS, linkHash } from "@/lib/audit/chain";
import { newId } from "@/lib/ids";
import { exportStream } from "@/lib/audit/export";
import { headFromExport } from "@/lib/audit/offline";
import { sealPending } from "@/lib/audit/seal";
import { verifyChain, verifyChainShared, verifyCheckpointJws, writeCheckpoint } from "@/lib/audit/verify";
import { db } from "@/lib/db";
import { ownerDb } from "@/test/owner-db";
import { jwks } from "@/lib/tokens/keys";

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
  for (let i = 0; i < n; i++) ids.push(await db().$transaction((tx) => appendAudit(tx, { action: "test.tamper", actor: { type: "system", label: tag }, payload: { i, tag } })));
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
    const cp = await writeCheckpoint(db());
    expect(cp).not.toBeNull();
    const row = await db().auditCheckpoint.findUniqueOrThrow({ where: { id: cp!.id } });
    const claims = await verifyCheckpointJws(row.jws, await jwks(db()));
    expect(claims).toMatchObject({ typ: "lanyard-audit-checkpoint", headSeq: row.headSeq.toString(), headHash: row.headHash });
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
      await appendAudit(tx, { action: "test.rolled_back", actor: { type: "system" } });
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
    // A checkpoint vouching for our event (other test files keep appending, so it need not be the head).
    await writeCheckpoint(db());
    await asSuperuser(Prisma.sql`INSERT INTO "audit_checkpoints" ("id", "headSeq", "headHash", "count", "kid", "jws", "createdAt") VALUES (${newId("chk")}, ${seal.seq}, ${seal.hash}, 0, 'test', 'test', now() + interval '1 second')`);
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
});
