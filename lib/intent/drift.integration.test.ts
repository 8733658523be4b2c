import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { updateAgent } from "@/lib/agents/mutations";
import { explainDecision } from "@/lib/audit/explain";
import { now } from "@/lib/clock";
import { driftPerAgent } from "@/lib/dashboard/drift";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { createHotPath } from "@/lib/decisions/hot-path";
import { castVote } from "@/lib/escalations/vote";
import { stopListening } from "@/lib/events/bus";
import { delegateLease } from "@/lib/leases/delegate";
import { revokeLease } from "@/lib/leases/lifecycle";
import { ensureReceipt } from "@/lib/receipts/receipt";
import { forgetToolCatalog } from "@/lib/tools/catalog";
import { seedCatalog } from "@/prisma/seed";
import { createHotPool } from "@/server/index";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";

let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>["actor"];
beforeAll(async () => {
  await seedCatalog(db());
  forgetToolCatalog();
  ep = (await seedEnforcementPoint(db())).actor;
});
afterAll(() => stopListening());

const customer = (id: string) => ({ type: "record", id, attributes: { dataClass: "internal" } });
const ACME = { resources: ["customers/acme/"], tools: ["repo.read"], dataClasses: ["internal"], expectedCalls: 20 };

/** An agent in the given drift mode (set through the admin's update, as the console and the API do) with a lease declaring ACME. */
async function leaseFor(driftMode: "enforce" | "advisory", intent: object = ACME) {
  const admin = await seedPerson(db(), { role: "admin" });
  const agent = await seedAgent(db());
  if (driftMode === "enforce") await updateAgent(db(), admin, agent.id, { driftMode, reason: "drift must stop the run" });
  const { lease, leaseToken } = await seedLease(db(), { agentId: agent.id, grants: [{ tool: "repo.read" }, { tool: "repo.commit" }], deny: [], intent, maxDelegationDepth: 1 });
  return { admin, agent, lease, leaseToken };
}

describe("intent drift through decide()", () => {
  it("a run that starts reading unrelated customers' records is stopped for a person to look at", async () => {
    const { lease, leaseToken } = await leaseFor("enforce");
    const onTask = await decide(db(), ep, { leaseToken, tool: "repo.read", resource: customer("customers/acme/7") });
    expect(onTask).toMatchObject({ decision: "allow", reasons: [{ code: "granted" }] });
    expect((await db().decision.findUniqueOrThrow({ where: { id: onTask.decisionId } })).drift).toBeNull();

    const offTask = await decide(db(), ep, { leaseToken, tool: "repo.read", resource: customer("customers/globex/42") });
    expect(offTask.decision).toBe("escalate");
    expect(offTask.reasons[0]).toMatchObject({ code: "intent_drift", message: expect.stringContaining("expected customers/acme/…, got record customers/globex/42") });
    expect(offTask.lease?.remainingToolCalls).toBe(999); // nothing spent on the escalated call
    // The approver sees why: the escalation's justification is the drift, dimension by dimension.
    const esc = await db().escalation.findUniqueOrThrow({ where: { id: offTask.escalationId! } });
    expect(esc).toMatchObject({ kind: "step_up", status: "pending", leaseId: lease.id });
    expect(esc.justification).toMatch(/resource off-intent: expected customers\/acme\/…, got record customers\/globex\/42/);
    const row = await db().decision.findUniqueOrThrow({ where: { id: offTask.decisionId } });
    expect(row.drift).toEqual({ mode: "enforce", findings: [{ dimension: "resource", leaseId: lease.id, expected: "customers/acme/…", actual: "record customers/globex/42" }] });
    const event = await db().auditEvent.findFirstOrThrow({ where: { decisionId: offTask.decisionId, action: "decision" } });
    expect((event.payload as { drift?: unknown }).drift).toEqual(row.drift);
    const explained = await explainDecision(db(), offTask.decisionId);
    expect(explained.decision.drift).toEqual(row.drift);
    expect(explained.lease?.intent).toEqual(ACME);

    // A person looks and lets this one call through; the next unrelated record waits again.
    const approver = await seedPerson(db(), { role: "approver" });
    await castVote(db(), approver, esc.id, "approve", "support ticket names globex");
    const { approvalId } = await db().escalation.findUniqueOrThrow({ where: { id: esc.id } });
    const approved = await decide(db(), ep, { leaseToken, tool: "repo.read", resource: customer("customers/globex/42"), approvalId: approvalId! });
    expect(approved).toMatchObject({ decision: "allow", reasons: [{ code: "approval_granted" }] });
    expect((await db().decision.findUniqueOrThrow({ where: { id: approved.decisionId } })).drift).toMatchObject({ mode: "enforce" });
    const next = await decide(db(), ep, { leaseToken, tool: "repo.read", resource: customer("customers/initech/1") });
    expect(next).toMatchObject({ decision: "escalate", reasons: [{ code: "intent_drift" }] });
  });

  it("advisory (the default): the off-intent call is allowed, spends budget, and is flagged on the row, in the audit event and in the receipt", async () => {
    const { admin, lease, leaseToken } = await leaseFor("advisory");
    const res = await decide(db(), ep, { leaseToken, tool: "repo.commit", resource: customer("customers/acme/7") });
    expect(res).toMatchObject({ decision: "allow", reasons: [{ code: "granted" }, { code: "intent_drift" }], lease: { remainingToolCalls: 999 } });
    const row = await db().decision.findUniqueOrThrow({ where: { id: res.decisionId } });
    expect(row.drift).toEqual({ mode: "advisory", findings: [{ dimension: "tool", leaseId: lease.id, expected: "repo.read", actual: "repo.commit" }] });
    const event = await db().auditEvent.findFirstOrThrow({ where: { decisionId: res.decisionId, action: "decision" } });
    expect((event.payload as { drift?: unknown }).drift).toEqual(row.drift);
    await decide(db(), ep, { leaseToken, tool: "repo.read", resource: customer("customers/acme/8") });
    await revokeLease(db(), admin, lease.id, "done");
    const { receipt } = await ensureReceipt(db(), lease.id);
    expect(receipt.intent).toEqual(ACME);
    expect(receipt.driftFlags).toEqual([{ tool: "repo.commit", resource: { type: "record", id: "customers/acme/7" }, decision: "allow", at: expect.any(String), drift: row.drift }]);
  });

  it("the drift mode change is audited as an agent update", async () => {
    const { agent } = await leaseFor("enforce");
    const event = await db().auditEvent.findFirstOrThrow({ where: { agentId: agent.id, action: "agent.updated" } });
    expect(event.payload).toMatchObject({ changes: { driftMode: { from: "advisory", to: "enforce" } } });
  });
});

describe("intent drift on the hot path (server/)", () => {
  it("advisory allows and writes the flag through decisionRecord(); switching the agent to enforce makes the cached chain stale and the next call escalates", async () => {
    const { admin, agent, lease, leaseToken } = await leaseFor("advisory");
    const pool = createHotPool();
    const hot = createHotPath({ pool, db: db() });
    try {
      const first = await hot.decide(ep, { leaseToken, tool: "repo.read", resource: customer("customers/globex/42") });
      expect(first).toMatchObject({ decision: "allow", reasons: [{ code: "granted" }, { code: "intent_drift" }] });
      expect((await db().decision.findUniqueOrThrow({ where: { id: first.decisionId } })).drift).toEqual({
        mode: "advisory",
        findings: [{ dimension: "resource", leaseId: lease.id, expected: "customers/acme/…", actual: "record customers/globex/42" }],
      });
      const onTask = await hot.decide(ep, { leaseToken, tool: "repo.read", resource: customer("customers/acme/1") });
      expect(onTask).toMatchObject({ decision: "allow", reasons: [{ code: "granted" }] });

      await updateAgent(db(), admin, agent.id, { driftMode: "enforce" });
      const second = await hot.decide(ep, { leaseToken, tool: "repo.read", resource: customer("customers/globex/43") });
      expect(second).toMatchObject({ decision: "escalate", reasons: [{ code: "intent_drift" }] });
      expect(second.escalationId).not.toBeNull();
      expect((await db().decision.findUniqueOrThrow({ where: { id: second.decisionId } })).drift).toMatchObject({ mode: "enforce", findings: [{ dimension: "resource" }] });
    } finally {
      await pool.end();
    }
  });

  it("calls beyond 1.5× expectedCalls are off-intent (the cached counters count)", async () => {
    const { lease, leaseToken } = await leaseFor("enforce", { expectedCalls: 2 });
    const pool = createHotPool();
    const hot = createHotPath({ pool, db: db() });
    try {
      for (let i = 0; i < 3; i++) expect((await hot.decide(ep, { leaseToken, tool: "repo.read" })).decision).toBe("allow");
      const fourth = await hot.decide(ep, { leaseToken, tool: "repo.read" });
      expect(fourth).toMatchObject({ decision: "escalate", reasons: [{ code: "intent_drift", message: expect.stringContaining("call count off-intent: expected about 2 (at most 3), got call 4") }] });
      expect((await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).toolCallsUsed).toBe(3);
    } finally {
      await pool.end();
    }
  });
});

describe("delegation", () => {
  it("a child's intent must lie within its parent's; a child without one is still held to the parent's", async () => {
    const { leaseToken, lease } = await leaseFor("enforce");
    const child = await seedAgent(db());
    const base = { leaseToken, agentId: child.id, purpose: "sub task", grants: [{ tool: "repo.read" }], expiresIn: 600, maxToolCalls: 10 };
    await expect(delegateLease(db(), ep, lease.id, { ...base, intent: { resources: ["customers/"] } })).rejects.toMatchObject({ code: "unprocessable", message: expect.stringContaining("customers/ is not within the parent's intended resources") });
    const narrower = await delegateLease(db(), ep, lease.id, { ...base, intent: { resources: ["customers/acme/eu/"] } });
    expect(narrower.lease.intent).toEqual({ resources: ["customers/acme/eu/"] });
    const inherits = await delegateLease(db(), ep, lease.id, base);
    expect(inherits.lease.intent).toBeNull();
    // The child agent is advisory; the parent's intent still flags the call, from the ancestor.
    const res = await decide(db(), ep, { leaseToken: inherits.leaseToken, tool: "repo.read", resource: customer("customers/globex/1") });
    expect(res).toMatchObject({ decision: "allow", reasons: [{ code: "granted" }, { code: "intent_drift", message: expect.stringContaining(`intent of ancestor lease ${lease.id}`) }] });
  });
});

describe("dashboard", () => {
  it("counts off-intent decisions per agent and hour, both modes, with the enforced ones apart", async () => {
    const advisory = await leaseFor("advisory");
    const enforce = await leaseFor("enforce");
    const since = new Date(now().getTime() - 3600_000);
    for (const id of ["customers/globex/1", "customers/globex/2", "customers/acme/3"]) await decide(db(), ep, { leaseToken: advisory.leaseToken, tool: "repo.read", resource: customer(id) });
    await decide(db(), ep, { leaseToken: enforce.leaseToken, tool: "repo.read", resource: customer("customers/globex/9") });
    // Other tests' agents are flagged too (one database): every agent drawn, then ours looked at.
    const d = await driftPerAgent(db(), since, new Date(now().getTime() + 1000), 10_000);
    const mine = (key: string) => d.agents.find((a) => a.key === key);
    expect(mine(advisory.agent.id)).toMatchObject({ name: advisory.agent.name, total: 2, enforced: 0 });
    expect(mine(enforce.agent.id)).toMatchObject({ total: 1, enforced: 1 });
    expect(d.hours.reduce((s, h) => s + Number(h[advisory.agent.id] ?? 0), 0)).toBe(2);
    expect(d.agents.reduce((s, a) => s + a.total, 0)).toBe(d.total);
    // Drawn as the dashboard does: at most five agents, the rest summed as "other".
    const drawn = await driftPerAgent(db(), since, new Date(now().getTime() + 1000));
    expect(drawn.agents.length).toBeLessThanOrEqual(6);
    expect(drawn.agents.reduce((s, a) => s + a.total, 0)).toBe(drawn.total);
  });
});
