import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chainHash, type ChainedEvent } from "@/lib/audit/chain";
import { canonicalJson } from "@/lib/audit/canonical";
import { canonicalParsedJson, viewHash } from "@/lib/audit/event-json";
import { toAuditView } from "@/lib/audit/explore";

const text = fc.option(fc.string({ unit: "grapheme", maxLength: 12 }), { nil: null });
const json = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const event: fc.Arbitrary<ChainedEvent> = fc.record({
  seq: fc.bigInt({ min: 1n, max: 2n ** 62n }),
  id: fc.string({ maxLength: 24 }),
  at: fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }),
  action: fc.string({ maxLength: 20 }),
  actorType: fc.constantFrom("user", "enforcement_point", "agent_run", "system"),
  actorId: text,
  actorLabel: text,
  agentId: text,
  runId: text,
  leaseId: text,
  escalationId: text,
  decisionId: text,
  subjectType: text,
  subjectId: text,
  leaseVersion: fc.option(fc.integer(), { nil: null }),
  tokenJti: text,
  tool: text,
  outcome: text,
  payload: fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), json), json),
});

describe("viewHash", () => {
  it("hashes an event's view to exactly what chainHash gives for the row", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 64, maxLength: 64 }), event, (prev, e) => {
        expect(viewHash(prev, toAuditView(e))).toBe(chainHash(prev, e));
      }),
      { numRuns: 2_000 },
    );
  });
});

describe("canonicalParsedJson", () => {
  it("gives canonicalJson's bytes for any value parsed from JSON", () => {
    fc.assert(
      fc.property(json, (v) => {
        expect(canonicalParsedJson(v)).toBe(canonicalJson(v));
      }),
      { numRuns: 5_000 },
    );
  });
});
