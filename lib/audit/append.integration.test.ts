import { describe, expect, it } from "vitest";
import { Prisma } from "@/lib/generated/prisma/client";
import { appendAudit, auditRow } from "@/lib/audit/append";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { seedEnforcementPoint, seedLease } from "@/test/factories";
import { ownerDb } from "@/test/owner-db";

describe("audit log", () => {
  it("is append-only at the database level: the application's role may not UPDATE, DELETE or TRUNCATE, and the owner is stopped by triggers", async () => {
    const id = await db().$transaction((tx) => appendAudit(tx, { action: "test.event", actor: { type: "system", label: "test" }, payload: { n: 1 } }));
    const [{ user }] = (await db().$queryRaw<{ user: string }[]>(Prisma.sql`SELECT current_user AS "user"`)) as [{ user: string }];
    expect(user).toBe("lanyard_app");
    for (const client of [db(), ownerDb()]) {
      const refused = client === db() ? /permission denied/ : /append-only/;
      await expect(client.$executeRaw(Prisma.sql`UPDATE "audit_events" SET "payload" = '{"n":2}' WHERE "id" = ${id}`)).rejects.toThrow(refused);
      await expect(client.$executeRaw(Prisma.sql`DELETE FROM "audit_events" WHERE "id" = ${id}`)).rejects.toThrow(refused);
      await expect(client.$executeRaw(Prisma.sql`TRUNCATE "audit_events"`)).rejects.toThrow(refused);
    }
    const row = await db().auditEvent.findUniqueOrThrow({ where: { id } });
    expect(row.payload).toEqual({ n: 1 });
  });

  it("receipts refuse TRUNCATE like the audit tables, for the application's role and the owner alike", async () => {
    await expect(db().$executeRaw(Prisma.sql`TRUNCATE "receipts"`)).rejects.toThrow(/permission denied/);
    // Rolled back whatever happens: without the trigger this TRUNCATE would empty every other test's receipts.
    const allowed = new Error("TRUNCATE was allowed (rolled back)");
    const attempt = ownerDb().$transaction(async (tx) => {
      await tx.$executeRaw(Prisma.sql`TRUNCATE "receipts"`);
      throw allowed;
    });
    await expect(attempt).rejects.toThrow(/receipts is append-only \(TRUNCATE refused\)/);
  });

  it("the lease.ended events a one-statement allow writes (INSERT … SELECT) are the rows auditRow makes, column for column", async () => {
    const { actor: ep } = await seedEnforcementPoint(db());
    const { lease, leaseToken } = await seedLease(db(), { maxToolCalls: 1 });
    const res = await decide(db(), ep, { leaseToken, tool: "repo.read" });
    expect(res).toMatchObject({ decision: "allow", lease: { status: "exhausted" } });
    const decision = await db().auditEvent.findFirstOrThrow({ where: { decisionId: res.decisionId } });
    const { seq, ...ended } = await db().auditEvent.findFirstOrThrow({ where: { leaseId: lease.id, action: "lease.ended" } });
    expect(seq).toBeGreaterThan(0n);
    expect(ended).toEqual({
      ...auditRow(ended.id, { action: "lease.ended", actor: { type: "enforcement_point", id: ep.id, label: ep.name }, subject: { type: "lease", id: lease.id }, agentId: lease.agentId, runId: lease.runId, leaseId: lease.id, leaseVersion: lease.version, payload: { status: "exhausted", reason: "all 1 tool calls used" } }),
      at: decision.at,
    });
  });

  it("commits with the change or not at all: a failed transaction leaves no event", async () => {
    const marker = `rollback-${Date.now()}`;
    await expect(
      db().$transaction(async (tx) => {
        await appendAudit(tx, { action: "test.event", actor: { type: "system" }, payload: { marker } });
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    expect(await db().auditEvent.count({ where: { action: "test.event", payload: { equals: { marker } } } })).toBe(0);
  });
});
