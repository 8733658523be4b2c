import { describe, expect, it } from "vitest";
import { Prisma } from "@/lib/generated/prisma/client";
import { appendAudit } from "@/lib/audit/append";
import { db } from "@/lib/db";

describe("audit log", () => {
  it("is append-only at the database level: UPDATE, DELETE and TRUNCATE are refused", async () => {
    const id = await db().$transaction((tx) => appendAudit(tx, { action: "test.event", actor: { type: "system", label: "test" }, payload: { n: 1 } }));
    await expect(db().$executeRaw(Prisma.sql`UPDATE "audit_events" SET "payload" = '{"n":2}' WHERE "id" = ${id}`)).rejects.toThrow(/append-only/);
    await expect(db().$executeRaw(Prisma.sql`DELETE FROM "audit_events" WHERE "id" = ${id}`)).rejects.toThrow(/append-only/);
    await expect(db().$executeRaw(Prisma.sql`TRUNCATE "audit_events"`)).rejects.toThrow(/append-only/);
    const row = await db().auditEvent.findUniqueOrThrow({ where: { id } });
    expect(row.payload).toEqual({ n: 1 });
  });

  it("commits with the change or not at all: a failed transaction leaves no event", async () => {
    const marker = `rollback-${Date.now()}`;
    await expect(
      db().$transaction(async (tx) => {
        await appendAudit(tx, { action: "test.rollback", actor: { type: "system" }, payload: { marker } });
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    expect(await db().auditEvent.count({ where: { action: "test.rollback", payload: { equals: { marker } } } })).toBe(0);
  });
});
