import { beforeAll, describe, expect, it } from "vitest";
import { auditRow } from "@/lib/audit/append";
import { actionsMatching, listAuditEvents } from "@/lib/audit/explore";
import { AuditExportQuery, AuditFilterQuery, AuditPageQuery } from "@/lib/audit/schemas";
import { fromZod } from "@/lib/errors";
import { formErrors } from "@/lib/schemas/form-errors";
import { AUDIT_FILTER_FIELDS } from "@/app/(console)/audit/_components/audit-filter-bar";
import { db } from "@/lib/db";
import { newId } from "@/lib/ids";

const tag = `t${Date.now().toString(36)}`;
const agentA = `agt_${tag}a`;
const agentB = `agt_${tag}b`;
const at = new Date("2030-01-01T00:00:00.000Z");

beforeAll(async () => {
  // 30 events, all at the SAME instant: pagination must not rely on timestamps.
  const rows = Array.from({ length: 30 }, (_, i) =>
    auditRow(newId("evt"), {
      action: i % 3 === 0 ? "lease.revoked" : "decision",
      actor: i % 2 ? { type: "enforcement_point", id: `ep_${tag}`, label: `gateway ${tag}` } : { type: "user", id: `usr_${tag}`, label: `${tag}@example.com` },
      agentId: i % 2 ? agentA : agentB,
      runId: `run_${tag}${i % 4}`,
      leaseId: `lse_${tag}${i % 5}`,
      tool: i % 3 === 0 ? null : i % 2 ? "repo.commit" : "production.deploy",
      outcome: i % 3 === 0 ? null : i % 4 === 0 ? "deny" : "allow",
      payload: { note: i === 7 ? `needle-${tag}` : `hay ${i}` },
    }),
  );
  await db().auditEvent.createMany({ data: rows.map((r) => ({ ...r, at })) });
  const later = auditRow(newId("evt"), { action: "decision", actor: { type: "system" }, agentId: agentA, payload: {} });
  await db().auditEvent.create({ data: { ...later, at: new Date("2030-01-02T00:00:00.000Z") } });
});

async function all(filters: Parameters<typeof listAuditEvents>[1]) {
  const out = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await listAuditEvents(db(), { ...filters, cursor, limit: filters.limit });
    out.push(...page.events);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return out;
}

describe("audit explorer queries", () => {
  it("pages through events with equal timestamps without losing or repeating any, newest first", async () => {
    const events = await all({ agentId: agentB, limit: 4 });
    const single = await listAuditEvents(db(), { agentId: agentB, limit: 500 });
    expect(events.map((e) => e.seq)).toEqual(single.events.map((e) => e.seq));
    expect(events).toHaveLength(15);
    expect(new Set(events.map((e) => e.id)).size).toBe(15);
    const seqs = events.map((e) => BigInt(e.seq));
    expect(seqs.every((s, i) => i === 0 || s < seqs[i - 1]!)).toBe(true);
  });

  it.each([
    ["agentId", { agentId: agentA }, (e: { agentId: string | null }) => e.agentId === agentA, 16],
    ["leaseId", { leaseId: `lse_${tag}2` }, (e: { leaseId: string | null }) => e.leaseId === `lse_${tag}2`, 6],
    ["runId", { runId: `run_${tag}1` }, (e: { runId: string | null }) => e.runId === `run_${tag}1`, 8],
    ["actor by id", { actor: `ep_${tag}` }, (e: { actorId: string | null }) => e.actorId === `ep_${tag}`, 15],
    ["actor by label", { actor: `${tag}@example.com` }, (e: { actorLabel: string | null }) => e.actorLabel === `${tag}@example.com`, 15],
    ["tool", { tool: "repo.commit", agentId: agentA }, (e: { tool: string | null }) => e.tool === "repo.commit", 10],
    ["outcome", { outcome: "deny", agentId: agentB }, (e: { outcome: string | null }) => e.outcome === "deny", 5],
    ["action", { action: "lease.revoked", agentId: agentA }, (e: { action: string }) => e.action === "lease.revoked", 5],
  ] as const)("filters by %s", async (_name, filters, matches, count) => {
    const events = await all({ ...filters, limit: 7 });
    expect(events).toHaveLength(count);
    expect(events.every((e) => (matches as (x: typeof e) => boolean)(e))).toBe(true);
  });

  it("filters by time range and by free text", async () => {
    const inRange = await all({ agentId: agentA, from: "2030-01-01T12:00:00Z", to: "2030-01-03T00:00:00Z", limit: 50 });
    expect(inRange).toHaveLength(1);
    expect(inRange[0]!.at).toBe("2030-01-02T00:00:00.000Z");
    const needle = await all({ q: `needle-${tag}`, limit: 50 });
    expect(needle).toHaveLength(1);
    expect((needle[0]!.payload as { note: string }).note).toBe(`needle-${tag}`);
  });

  it("takes an event type's family or prefix: lease finds lease.*", async () => {
    for (const action of ["lease", "lease.", "lea"]) {
      const events = await all({ action, agentId: agentA, limit: 50 });
      expect(events).toHaveLength(5);
      expect(events.every((e) => e.action === "lease.revoked")).toBe(true);
    }
    expect(actionsMatching("escalation")).toEqual(["escalation", "escalation.created", "escalation.voted", "escalation.vote_withdrawn", "escalation.decided", "escalation.cancelled", "escalation.consumed"]);
    // An exact type is still itself (decision also heads the decision.* family).
    expect(actionsMatching("lease.revoked")).toEqual(["lease.revoked"]);
    expect(await all({ action: "nothing.like.this", agentId: agentA, limit: 50 })).toHaveLength(0);
  });

  it("refuses a reversed range once, at To; a bad date is said once at its field", () => {
    const reversed = AuditPageQuery.safeParse({ from: "2030-01-03T00:00:00Z", to: "2030-01-01T00:00:00Z" });
    expect(reversed.success).toBe(false);
    expect(reversed.error!.issues.map((i) => [i.path.join("."), i.message])).toEqual([["to", "must not be before From"]]);
    expect(AuditExportQuery.safeParse({ from: "2030-01-03T00:00:00Z", to: "2030-01-01T00:00:00Z" }).success).toBe(false);
    expect(AuditFilterQuery.safeParse({ from: "2030-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z" }).success).toBe(true);
    const bad = AuditPageQuery.safeParse({ from: "yesterday" });
    const f = formErrors(fromZod(bad.error!), AUDIT_FILTER_FIELDS);
    expect(f.field("from")).toBe("a date and time, like 2026-01-31T09:00Z");
    expect(f.summary).toBe("Check the field: From (UTC).");
    expect(f.unplaced).toEqual([]);
  });

});
