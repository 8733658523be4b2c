import { decodeProtectedHeader } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "@/lib/generated/prisma/client";
import { appendAudit } from "@/lib/audit/append";
import { sealPending } from "@/lib/audit/seal";
import { verifyChain, verifyCheckpointJws, writeCheckpoint } from "@/lib/audit/verify";
import { db } from "@/lib/db";
import { jwks } from "@/lib/tokens/keys";

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
    await appendMany(5, "clean");
    await sealAll();
    const r = await verifyChain(db());
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
    const r = await verifyChain(db());
    expect(r.ok).toBe(false);
    expect(r.firstBrokenSeq).toBe(victim.seq.toString());
    expect(r.detail).toMatch(/modified/);
    await asSuperuser(Prisma.sql`UPDATE "audit_events" SET "payload" = ${JSON.stringify(victim.payload)}::jsonb WHERE "seq" = ${victim.seq}`);
    expect((await verifyChain(db())).ok).toBe(true);
  });

  it("names a deleted event, and verifies again once it is restored", async () => {
    const rows = await appendMany(3, "delete");
    await sealAll();
    const victim = rows[1]!;
    await asSuperuser(Prisma.sql`DELETE FROM "audit_events" WHERE "seq" = ${victim.seq}`);
    const r = await verifyChain(db());
    expect(r).toMatchObject({ ok: false, firstBrokenSeq: victim.seq.toString() });
    expect(r.detail).toMatch(/deleted/);
    await asSuperuser(Prisma.sql`INSERT INTO "audit_events" ("seq", "id", "at", "action", "actorType", "actorId", "actorLabel", "payload") VALUES (${victim.seq}, ${victim.id}, ${victim.at}, ${victim.action}, ${victim.actorType}, ${victim.actorId}, ${victim.actorLabel}, ${JSON.stringify(victim.payload)}::jsonb)`);
    expect((await verifyChain(db())).ok).toBe(true);
  });

  it("names two swapped events (the first of them)", async () => {
    const rows = await appendMany(3, "swap");
    await sealAll();
    const [a, b] = [rows[0]!, rows[2]!];
    const swap = (x: typeof a, y: typeof a) => asSuperuser(Prisma.sql`UPDATE "audit_events" SET "payload" = ${JSON.stringify(y.payload)}::jsonb, "id" = ${`${y.id}_tmp`} WHERE "seq" = ${x.seq}`);
    await swap(a, b);
    await swap(b, a);
    const r = await verifyChain(db());
    expect(r).toMatchObject({ ok: false, firstBrokenSeq: a.seq.toString() });
    await asSuperuser(Prisma.sql`UPDATE "audit_events" SET "payload" = ${JSON.stringify(a.payload)}::jsonb, "id" = ${a.id} WHERE "seq" = ${a.seq}`);
    await asSuperuser(Prisma.sql`UPDATE "audit_events" SET "payload" = ${JSON.stringify(b.payload)}::jsonb, "id" = ${b.id} WHERE "seq" = ${b.seq}`);
    expect((await verifyChain(db())).ok).toBe(true);
  });

  it("names an event forged into the past (into a sealed gap left by a rolled-back write)", async () => {
    await appendMany(1, "gap-before");
    await db().$transaction(async (tx) => {
      await appendAudit(tx, { action: "test.rolled_back", actor: { type: "system" } });
      throw new Error("roll back");
    }).catch(() => {});
    await appendMany(1, "gap-after");
    await sealAll();
    const gap = await db().auditSeal.findFirst({ where: { gap: true }, orderBy: { seq: "desc" } });
    expect(gap).not.toBeNull();
    await asSuperuser(Prisma.sql`INSERT INTO "audit_events" ("seq", "id", "action", "actorType", "payload") VALUES (${gap!.seq}, ${`evt_forged${gap!.seq}`}, 'lease.approved', 'user', '{}'::jsonb)`);
    const r = await verifyChain(db());
    expect(r).toMatchObject({ ok: false, firstBrokenSeq: gap!.seq.toString() });
    expect(r.detail).toMatch(/inserted/);
    await asSuperuser(Prisma.sql`DELETE FROM "audit_events" WHERE "seq" = ${gap!.seq}`);
    expect((await verifyChain(db())).ok).toBe(true);
  });

  it("detects a truncation of events and seals together through the signed checkpoint", async () => {
    const rows = await appendMany(2, "truncate");
    await sealAll();
    await writeCheckpoint(db());
    const last = rows[1]!;
    const state = await db().auditSealState.findUniqueOrThrow({ where: { id: 1 } });
    expect(state.lastSeq).toBe(last.seq);
    const seal = await db().auditSeal.findUniqueOrThrow({ where: { seq: last.seq } });
    const previous = await db().auditSeal.findUniqueOrThrow({ where: { seq: last.seq - 1n } });
    await asSuperuser(Prisma.sql`DELETE FROM "audit_events" WHERE "seq" = ${last.seq}`);
    await asSuperuser(Prisma.sql`DELETE FROM "audit_seals" WHERE "seq" = ${last.seq}`);
    await asSuperuser(Prisma.sql`UPDATE "audit_seal_state" SET "lastSeq" = ${last.seq - 1n}, "lastHash" = ${previous.hash}, "count" = ${state.count - 1n}`);
    const r = await verifyChain(db());
    expect(r.ok).toBe(false);
    expect(r.firstBrokenSeq).toBe(last.seq.toString());
    expect(r.detail).toMatch(/truncated/);
    // Put everything back, so the shared test database verifies again.
    await asSuperuser(Prisma.sql`INSERT INTO "audit_events" ("seq", "id", "at", "action", "actorType", "actorId", "actorLabel", "payload") VALUES (${last.seq}, ${last.id}, ${last.at}, ${last.action}, ${last.actorType}, ${last.actorId}, ${last.actorLabel}, ${JSON.stringify(last.payload)}::jsonb)`);
    await asSuperuser(Prisma.sql`INSERT INTO "audit_seals" ("seq", "hash", "gap", "sealedAt") VALUES (${seal.seq}, ${seal.hash}, false, ${seal.sealedAt})`);
    await asSuperuser(Prisma.sql`UPDATE "audit_seal_state" SET "lastSeq" = ${state.lastSeq}, "lastHash" = ${state.lastHash}, "count" = ${state.count}`);
    expect((await verifyChain(db())).ok).toBe(true);
  });

  it("the application's own writes cannot UPDATE, DELETE or TRUNCATE the chain", async () => {
    await expect(db().$executeRaw(Prisma.sql`DELETE FROM "audit_seals"`)).rejects.toThrow(/append-only/);
    await expect(db().$executeRaw(Prisma.sql`TRUNCATE "audit_checkpoints"`)).rejects.toThrow(/append-only/);
  });
});
