import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Prisma } from "@/lib/generated/prisma/client";
import { eventDigest, jsonbText, type ChainedEvent } from "@/lib/audit/chain";
import { db } from "@/lib/db";

/** lanyard_audit_digest of an event given as values, without writing it (a row of the table's type). */
async function pgDigest(e: ChainedEvent): Promise<{ digest: Buffer; payload: string }> {
  const [row] = await db().$queryRaw<{ digest: Buffer; payload: string }[]>(Prisma.sql`
    SELECT lanyard_audit_digest(r) AS digest, r."payload"::text AS payload FROM (SELECT (ROW(${e.seq}::bigint, ${e.id}, ${e.at}::timestamp(3), ${e.action}, ${e.actorType}, ${e.actorId}, ${e.actorLabel},
      ${e.agentId}, ${e.runId}, ${e.leaseId}, ${e.escalationId}, ${e.decisionId}, ${e.subjectType}, ${e.subjectId}, ${e.leaseVersion}::int,
      ${e.tokenJti}, ${e.tool}, ${e.outcome}, ${JSON.stringify(e.payload)}::jsonb, NULL::xid8)::"audit_events").*) r`);
  return { digest: Buffer.from(row!.digest), payload: row!.payload };
}

const base: ChainedEvent = {
  seq: 42n, id: "evt_digest", at: new Date("2031-02-03T04:05:06.789Z"), action: "decision", actorType: "enforcement_point",
  actorId: "ep_x", actorLabel: "gateway", agentId: "agt_x", runId: "run_x", leaseId: "lse_x", escalationId: null, decisionId: "dec_x",
  subjectType: "decision", subjectId: "dec_x", leaseVersion: 3, tokenJti: "jti_x", tool: "repo.read", outcome: "allow", payload: {},
};

// Text PostgreSQL can store: no NUL, no lone surrogates.
const text = fc.string({ unit: "grapheme", maxLength: 12 }).filter((s) => !s.includes("\u0000"));
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)), fc.integer(), text, fc.array(tie("value"), { maxLength: 4 }), fc.dictionary(text, tie("value"), { maxKeys: 5 })),
})).value;

describe("the audit digest", () => {
  it("PostgreSQL's lanyard_audit_digest and chain.ts's eventDigest agree on awkward events", async () => {
    const payloads = [
      {},
      { reasons: [{ code: "tool_denied", message: "secrets.read is on the lease's deny list" }] },
      { n: 1.5, big: 12345678901234567890, neg: -0.25, exp: 1e-7, huge: 1e21, int: 2, t: true, f: false, nil: null },
      { "ünïcödé": "日本語 ✓ \u001f \" \\ / \u2028 😀", nested: { b: [1, { a: "x" }], a: [] } },
      { z: 1, a: 2, aa: 3, B: 4, "": 5, "é": 6, e: 7 },
      [1, "two", [3]],
      "just a string",
    ];
    for (const [i, payload] of payloads.entries()) {
      const e = { ...base, seq: BigInt(i + 1), payload, actorLabel: i % 2 ? null : "a\"b\\c\n", leaseVersion: i % 3 ? null : -i, at: new Date(Date.UTC(1999, 11, 31, 23, 59, 59, i)) };
      const pg = await pgDigest(e);
      expect(jsonbText(payload)).toBe(pg.payload);
      expect(eventDigest(e).toString("hex")).toBe(pg.digest.toString("hex"));
    }
  });

  it("agrees on generated events (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ seq: fc.bigInt({ min: 1n, max: 2n ** 62n }), id: text, action: text, actorLabel: fc.option(text, { nil: null }), tool: fc.option(text, { nil: null }), leaseVersion: fc.option(fc.integer(), { nil: null }), payload: json, at: fc.date({ min: new Date("1990-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }) }),
        async (p) => {
          const e = { ...base, ...p };
          expect(eventDigest(e).toString("hex")).toBe((await pgDigest(e)).digest.toString("hex"));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("changes when any column changes", async () => {
    const d = (await pgDigest(base)).digest.toString("hex");
    for (const change of [{ seq: 43n }, { at: new Date(base.at.getTime() + 1) }, { actorId: null }, { escalationId: "" }, { leaseVersion: 4 }, { payload: { a: 1 } }, { outcome: "deny" }]) {
      expect((await pgDigest({ ...base, ...change })).digest.toString("hex")).not.toBe(d);
    }
  });
});
