import { describe, expect, it } from "vitest";
import { Prisma } from "@/lib/generated/prisma/client";
import { auditRow } from "@/lib/audit/append";
import { CHAINED_COLUMNS, chainHash, type ChainedEvent } from "@/lib/audit/chain";
import { fetchSealBatch, viewHash } from "@/lib/audit/event-json";
import { sealPending } from "@/lib/audit/seal";
import { toAuditView } from "@/lib/audit/explore";
import { db } from "@/lib/db";
import { newId } from "@/lib/ids";

describe("verify batches rendered to JSON by PostgreSQL", () => {
  it("carry exactly the views of the rows the driver reads, which hash to their seals", async () => {
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
});
