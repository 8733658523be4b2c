import { decodeProtectedHeader } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "@/lib/generated/prisma/client";
import { appendAudit, auditRow } from "@/lib/audit/append";
import { CHAINED_COLUMNS, chainHash, type ChainedEvent } from "@/lib/audit/chain";
import { fetchSealBatch, viewHash } from "@/lib/audit/event-json";
import { toAuditView } from "@/lib/audit/explore";
import { newId } from "@/lib/ids";
import { sealPending } from "@/lib/audit/seal";
import { verifyChain, verifyCheckpointJws, writeCheckpoint } from "@/lib/audit/verify";
import { db } from "@/lib/db";
import { jwks } from "@/lib/tokens/keys";

// Every test that seals or tampers with the one global chain lives in this file, so that they run one
// after another (files run in parallel). Each verifies from its own first event, so an unrelated
// history in a reused local database cannot decide the outcome.

/** Tampering as a database superuser would: with the append-only triggers switched off for one statement. */
async function asSuperuser(sql: Prisma.Sql) {
  await db().$transaction(async (tx) => {
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

async function sealAll() {
  for (let i = 0; i < 20; i++) {
    const r = await sealPending(db());
    if (!r.waiting && r.sealed === 0) return;
    if (r.waiting) await new Promise((res) => setTimeout(res, 500));
  }
}

beforeAll(async () => {
  await sealAll();
});

describe("audit chain", () => {
  it("verifies an untouched log, and a signed checkpoint verifies against the JWKS", async () => {
    const rows = await appendMany(5, "clean");
    await sealAll();
    const r = await verifyChain(db(), { fromSeq: rows[0]!.seq });
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
    const r = await verifyChain(db(), { fromSeq: rows[0]!.seq });
    expect(r.ok).toBe(false);
    expect(r.firstBrokenSeq).toBe(victim.seq.toString());
    expect(r.detail).toMatch(/modified/);
    await asSuperuser(Prisma.sql`UPDATE "audit_events" SET "payload" = ${JSON.stringify(victim.payload)}::jsonb WHERE "seq" = ${victim.seq}`);
    expect((await verifyChain(db(), { fromSeq: rows[0]!.seq })).ok).toBe(true);
  });

  it("names a deleted event, and verifies again once it is restored", async () => {
    const rows = await appendMany(3, "delete");
    await sealAll();
    const victim = rows[1]!;
    await asSuperuser(Prisma.sql`DELETE FROM "audit_events" WHERE "seq" = ${victim.seq}`);
    const r = await verifyChain(db(), { fromSeq: rows[0]!.seq });
    expect(r).toMatchObject({ ok: false, firstBrokenSeq: victim.seq.toString() });
    expect(r.detail).toMatch(/deleted/);
    await asSuperuser(Prisma.sql`INSERT INTO "audit_events" ("seq", "id", "at", "action", "actorType", "actorId", "actorLabel", "payload") VALUES (${victim.seq}, ${victim.id}, ${victim.at}, ${victim.action}, ${victim.actorType}, ${victim.actorId}, ${victim.actorLabel}, ${JSON.stringify(victim.payload)}::jsonb)`);
    expect((await verifyChain(db(), { fromSeq: rows[0]!.seq })).ok).toBe(true);
  });

  it("names two swapped events (the first of them)", async () => {
    const rows = await appendMany(3, "swap");
    await sealAll();
    const [a, b] = [rows[0]!, rows[2]!];
    const swap = (x: typeof a, y: typeof a) => asSuperuser(Prisma.sql`UPDATE "audit_events" SET "payload" = ${JSON.stringify(y.payload)}::jsonb, "id" = ${`${y.id}_tmp`} WHERE "seq" = ${x.seq}`);
    await swap(a, b);
    await swap(b, a);
    const r = await verifyChain(db(), { fromSeq: rows[0]!.seq });
    expect(r).toMatchObject({ ok: false, firstBrokenSeq: a.seq.toString() });
    await asSuperuser(Prisma.sql`UPDATE "audit_events" SET "payload" = ${JSON.stringify(a.payload)}::jsonb, "id" = ${a.id} WHERE "seq" = ${a.seq}`);
    await asSuperuser(Prisma.sql`UPDATE "audit_events" SET "payload" = ${JSON.stringify(b.payload)}::jsonb, "id" = ${b.id} WHERE "seq" = ${b.seq}`);
    expect((await verifyChain(db(), { fromSeq: rows[0]!.seq })).ok).toBe(true);
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
    const r = await verifyChain(db(), { fromSeq: rows[0]!.seq });
    expect(r).toMatchObject({ ok: false, firstBrokenSeq: gap!.seq.toString() });
    expect(r.detail).toMatch(/inserted/);
    await asSuperuser(Prisma.sql`DELETE FROM "audit_events" WHERE "seq" = ${gap!.seq}`);
    expect((await verifyChain(db(), { fromSeq: rows[0]!.seq })).ok).toBe(true);
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
    const walked = await verifyChain(db(), { fromSeq: rows[0]!.seq });
    expect(walked).toMatchObject({ ok: false, firstBrokenSeq: last.seq.toString() });
    expect(walked.detail).toMatch(/cut/);
    // Up to just before the cut the chain is intact; the checkpoint alone still names the truncation.
    const vouched = await verifyChain(db(), { fromSeq: rows[0]!.seq, toSeq: last.seq - 1n });
    expect(vouched).toMatchObject({ ok: false, firstBrokenSeq: last.seq.toString() });
    expect(vouched.detail).toMatch(/truncated/);
    await asSuperuser(Prisma.sql`INSERT INTO "audit_events" ("seq", "id", "at", "action", "actorType", "actorId", "actorLabel", "payload") VALUES (${last.seq}, ${last.id}, ${last.at}, ${last.action}, ${last.actorType}, ${last.actorId}, ${last.actorLabel}, ${JSON.stringify(last.payload)}::jsonb)`);
    await asSuperuser(Prisma.sql`INSERT INTO "audit_seals" ("seq", "hash", "gap", "sealedAt") VALUES (${seal.seq}, ${seal.hash}, false, ${seal.sealedAt})`);
    expect((await verifyChain(db(), { fromSeq: rows[0]!.seq })).ok).toBe(true);
  });

  it("bulk-read batches (JSON rendered by PostgreSQL) carry exactly the rows the driver reads, and hash to their seals", async () => {
    const tag = newId("run");
    const payloads = [
      {},
      { reasons: [{ code: "tool_denied", message: "secrets.read is on the lease's deny list" }] },
      { n: 1.5, big: 12345678901234567890, neg: -0.25, exp: 1e-7, int: 2, t: true, f: false, nil: null },
      { "ünïcödé": "日本語 ✓ \u001f \" \\ / \u2028", nested: { b: [1, { a: "x" }], a: [] } },
      { z: 1, a: 2, aa: 3, B: 4, "": 5 },
    ];
    const at = new Date("2031-02-03T04:05:06.789Z");
    await db().auditEvent.createMany({
      data: payloads.map((payload, i) => ({
        ...auditRow(newId("evt"), { action: "test.json", actor: { type: "user", id: "usr_x", label: `a${i}@example.com` }, runId: tag, leaseVersion: i || null, tool: i % 2 ? "repo.read" : null, payload }),
        at: new Date(at.getTime() + i),
      })),
    });
    const rows = await db().$queryRaw<ChainedEvent[]>(Prisma.sql`SELECT ${Prisma.raw(CHAINED_COLUMNS)} FROM "audit_events" WHERE "runId" = ${tag} ORDER BY "seq"`);
    const first = rows[0]!.seq;
    const last = rows[rows.length - 1]!.seq;
    // Seal through our events (a gap left by another test's rollback is waited out first).
    for (let i = 0; i < 60 && (await db().auditSealState.findUniqueOrThrow({ where: { id: 1 } })).lastSeq < last; i++) {
      if ((await sealPending(db())).waiting) await new Promise((r) => setTimeout(r, 250));
    }
    const { seals, events } = await fetchSealBatch(db(), first - 1n, last, 1_000);
    expect(seals.map((s) => s.seq)).toEqual(rows.map((r) => r.seq));
    expect(events).toEqual(rows.map(toAuditView));
    // Byte for byte, in key order too.
    expect(events.map((v) => JSON.stringify(v))).toEqual(rows.map((r) => JSON.stringify(toAuditView(r))));
    const [before] = await db().$queryRaw<{ hash: string }[]>(Prisma.sql`SELECT "hash" FROM "audit_seals" WHERE "seq" = ${first - 1n}`);
    let prev = before!.hash;
    for (const [i, v] of events.entries()) {
      expect(viewHash(prev, v)).toBe(chainHash(prev, rows[i]!));
      expect(viewHash(prev, v)).toBe(seals[i]!.hash);
      prev = seals[i]!.hash;
    }
  });

  it("the application's own writes cannot UPDATE, DELETE or TRUNCATE the chain", async () => {
    await expect(db().$executeRaw(Prisma.sql`DELETE FROM "audit_seals"`)).rejects.toThrow(/append-only/);
    await expect(db().$executeRaw(Prisma.sql`TRUNCATE "audit_checkpoints"`)).rejects.toThrow(/append-only/);
  });
});
