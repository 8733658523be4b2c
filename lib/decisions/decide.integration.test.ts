import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@/lib/generated/prisma/client";
import { toErrorResponse } from "@/lib/api/error-response";
import { advanceClock, resetClock } from "@/lib/clock";
import { db, type Db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { delegateLease } from "@/lib/leases/delegate";
import { expireLeases, revokeLease } from "@/lib/leases/lifecycle";
import { updateAgent } from "@/lib/agents/mutations";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";
import { startTcpProxy } from "@/test/tcp-proxy";

let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>["actor"];
beforeAll(async () => {
  ep = (await seedEnforcementPoint(db())).actor;
});
afterEach(() => resetClock());

const ask = (leaseToken: string, tool = "repo.read", extra: object = {}) => decide(db(), ep, { leaseToken, tool, ...extra });

describe("decisions", () => {
  it("allows a granted call, takes one unit of budget, and records the decision with its audit event", async () => {
    const { lease, leaseToken } = await seedLease(db(), { maxToolCalls: 3 });
    const res = await ask(leaseToken, "repo.commit", { resource: { type: "branch", id: "agent/dependency-update" } });
    expect(res.decision).toBe("allow");
    expect(res.reasons[0]!.code).toBe("granted");
    expect(res.lease).toMatchObject({ id: lease.id, status: "active", remainingToolCalls: 2 });
    const row = await db().decision.findUniqueOrThrow({ where: { id: res.decisionId } });
    expect(row).toMatchObject({ outcome: "allow", leaseId: lease.id, tokenJti: lease.id, enforcementPointId: ep.id });
    const event = await db().auditEvent.findFirstOrThrow({ where: { decisionId: res.decisionId } });
    expect(event).toMatchObject({ action: "decision", outcome: "allow", leaseId: lease.id, actorType: "enforcement_point", actorId: ep.id, tokenJti: lease.id, tool: "repo.commit" });
  });

  it("answers each documented reason code, and a denial costs no budget", async () => {
    const { lease, leaseToken } = await seedLease(db(), { maxToolCalls: 5 });
    const cases: [string, object, string][] = [
      ["secrets.read", {}, "tool_denied"],
      ["pull_request.create", {}, "tool_not_granted"],
      ["repo.commit", { resource: { type: "branch", id: "main" } }, "resource_out_of_scope"],
      ["repo.read", { context: { environment: "production" } }, "environment_mismatch"],
      ["production.deploy", {}, "approval_required"],
      ["production.deploy", { approvalId: "apr_doesnotexist" }, "approval_invalid"],
    ];
    for (const [tool, extra, code] of cases) {
      const res = await ask(leaseToken, tool, extra);
      expect(res.reasons[0]!.code, tool).toBe(code);
      expect(res.decision).toBe(code === "approval_required" ? "escalate" : "deny");
      expect(await db().auditEvent.count({ where: { decisionId: res.decisionId, action: "decision" } })).toBe(1);
    }
    expect((await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).toolCallsUsed).toBe(0);
  });

  it("escalates a high-risk call once: repeated calls wait on the same pending escalation", async () => {
    const { leaseToken } = await seedLease(db());
    const [a, b] = await Promise.all([ask(leaseToken, "production.deploy"), ask(leaseToken, "production.deploy")]);
    expect(a.decision).toBe("escalate");
    expect(a.escalationId).toMatch(/^esc_/);
    expect(b.escalationId).toBe(a.escalationId);
    const esc = await db().escalation.findUniqueOrThrow({ where: { id: a.escalationId! } });
    expect(esc).toMatchObject({ kind: "step_up", status: "pending", tool: "production.deploy", requiredApprovals: 2 });
  });

  it("500 concurrent decisions on a budget of 25 allow exactly 25", async () => {
    const { lease, leaseToken } = await seedLease(db(), { maxToolCalls: 25 });
    const results = await Promise.all(Array.from({ length: 500 }, () => ask(leaseToken)));
    const allows = results.filter((r) => r.decision === "allow");
    expect(allows).toHaveLength(25);
    expect(results.filter((r) => r.decision === "deny").every((r) => r.reasons[0]!.code === "lease_exhausted")).toBe(true);
    const after = await db().lease.findUniqueOrThrow({ where: { id: lease.id } });
    expect(after).toMatchObject({ toolCallsUsed: 25, status: "exhausted" });
    expect(await db().decision.count({ where: { leaseId: lease.id } })).toBe(500);
    expect(await db().auditEvent.count({ where: { leaseId: lease.id, action: "decision" } })).toBe(500);
    expect(await db().auditEvent.count({ where: { leaseId: lease.id, action: "lease.ended" } })).toBe(1);
  });

  it("no decision racing a revoke is allowed once the revoke has returned", async () => {
    const { lease, leaseToken, admin } = await seedLease(db(), { maxToolCalls: 10_000 });
    const calls: { startedAt: number; decision: string }[] = [];
    let revokedAt = Infinity;
    const racers = Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 30; i++) {
        const startedAt = performance.now();
        const r = await ask(leaseToken);
        calls.push({ startedAt, decision: r.decision });
      }
    });
    // Revoke while the racers are mid-flight: once the first allow is in (however slow the machine).
    for (const deadline = Date.now() + 10_000; !calls.some((c) => c.decision === "allow") && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 5));
    await revokeLease(db(), admin, lease.id, "race test");
    revokedAt = performance.now();
    await Promise.all(racers);
    const before = calls.filter((c) => c.startedAt < revokedAt);
    const after = calls.filter((c) => c.startedAt > revokedAt);
    expect(before.some((c) => c.decision === "allow")).toBe(true);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((c) => c.decision === "allow")).toEqual([]);
    // Budget and the decision log agree: every allow took exactly one unit.
    const allows = await db().decision.count({ where: { leaseId: lease.id, outcome: "allow" } });
    expect((await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).toolCallsUsed).toBe(allows);
  });

  it("revocation cascades over a delegation tree of depth 3, and children spend their ancestors' budget", async () => {
    const agent = await seedAgent(db());
    const root = await seedLease(db(), { agentId: agent.id, maxToolCalls: 100, maxDelegationDepth: 3 });
    const grants = [{ tool: "repo.read" }];
    const d1 = await delegateLease(db(), ep, root.lease.id, { leaseToken: root.leaseToken, agentId: agent.id, purpose: "level 1", grants, expiresIn: 600, maxToolCalls: 50 });
    const d2 = await delegateLease(db(), ep, d1.lease.id, { leaseToken: d1.leaseToken, agentId: agent.id, purpose: "level 2", grants, expiresIn: 500, maxToolCalls: 20 });
    const d3 = await delegateLease(db(), ep, d2.lease.id, { leaseToken: d2.leaseToken, agentId: agent.id, purpose: "level 3", grants, expiresIn: 400, maxToolCalls: 10 });
    expect(d3.lease).toMatchObject({ depth: 3, parentLeaseId: d2.lease.id, maxDelegationDepth: 0 });

    expect((await ask(d3.leaseToken)).decision).toBe("allow");
    const used = await db().lease.findMany({ where: { id: { in: [root.lease.id, d1.lease.id, d2.lease.id, d3.lease.id] } }, select: { toolCallsUsed: true } });
    expect(used.map((u) => u.toolCallsUsed)).toEqual([1, 1, 1, 1]);

    const res = await revokeLease(db(), root.admin, d1.lease.id, "cascade test");
    expect(new Set(res.revoked)).toEqual(new Set([d1.lease.id, d2.lease.id, d3.lease.id]));
    expect((await ask(d3.leaseToken)).reasons[0]!.code).toBe("lease_revoked");
    expect((await ask(d2.leaseToken)).reasons[0]!.code).toBe("lease_revoked");
    expect((await ask(root.leaseToken)).decision).toBe("allow");
  });

  it("a child lease may not outspend its parent", async () => {
    const agent = await seedAgent(db());
    const root = await seedLease(db(), { agentId: agent.id, maxToolCalls: 3, maxDelegationDepth: 1 });
    const child = await delegateLease(db(), ep, root.lease.id, { leaseToken: root.leaseToken, agentId: agent.id, purpose: "child", grants: [{ tool: "repo.read" }], expiresIn: 600, maxToolCalls: 3 });
    expect((await ask(root.leaseToken)).decision).toBe("allow");
    expect((await ask(child.leaseToken)).decision).toBe("allow");
    expect((await ask(child.leaseToken)).decision).toBe("allow");
    const last = await ask(child.leaseToken);
    expect(last.decision).toBe("deny");
    expect(last.reasons[0]!.code).toBe("lease_exhausted");
  });

  it("refuses a delegation that is not a strict attenuation, with one reason per violation", async () => {
    const agent = await seedAgent(db());
    const root = await seedLease(db(), { agentId: agent.id, maxToolCalls: 10, maxDelegationDepth: 1 });
    const err = await delegateLease(db(), ep, root.lease.id, {
      leaseToken: root.leaseToken,
      agentId: agent.id,
      purpose: "too much",
      grants: [{ tool: "pull_request.merge" }, { tool: "repo.commit", resource: { type: "branch", ids: ["main"] } }],
      deny: [],
      expiresIn: 7200,
      maxToolCalls: 11,
    }).catch((e) => e);
    expect(err.status).toBe(422);
    expect(err.issues.map((i: { message: string }) => i.message.split(":")[0]).sort()).toEqual(["budget", "ceiling", "deny", "expiry", "grants", "grants"]);
  });

  it("answers lease_expired once the lease's time is up, and the sweeper marks it expired with an audit event", async () => {
    const { lease, leaseToken } = await seedLease(db(), { expiresIn: 60 });
    expect((await ask(leaseToken)).decision).toBe("allow");
    advanceClock(61_000);
    // The lease is past its expiry; the token is still inside its 30 s clock tolerance.
    expect((await ask(leaseToken)).reasons[0]!.code).toBe("lease_expired");
    advanceClock(40_000);
    expect((await ask(leaseToken)).reasons[0]!.code).toBe("token_expired");
    // The sweep runs on the real clock, with this lease's expiry moved into the past: with the clock
    // moved it would also expire other test files' leases that are still live.
    resetClock();
    await db().lease.update({ where: { id: lease.id }, data: { expiresAt: new Date(Date.now() - 1_000) } });
    expect(await expireLeases(db())).toBeGreaterThanOrEqual(1);
    expect((await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).status).toBe("expired");
    expect(await db().auditEvent.count({ where: { leaseId: lease.id, action: "lease.ended" } })).toBe(1);
  });

  it("suspending the agent revokes its live leases; its calls answer lease_revoked", async () => {
    const agent = await seedAgent(db());
    const { leaseToken, lease } = await seedLease(db(), { agentId: agent.id });
    const admin = await seedPerson(db(), { role: "admin" });
    await updateAgent(db(), admin, agent.id, { status: "suspended", reason: "incident" });
    expect((await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).status).toBe("revoked");
    expect((await ask(leaseToken)).reasons[0]!.code).toBe("lease_revoked");
  });

  it("fails closed with 503 when the database goes away mid-run, and never allows", async () => {
    const { leaseToken } = await seedLease(db());
    const url = new URL(process.env.DATABASE_URL!);
    const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
    url.port = String(proxy.port);
    const viaProxy = new PrismaClient({ adapter: new PrismaPg({ connectionString: url.toString(), max: 4, connectionTimeoutMillis: 1000 }) }) as unknown as Db;
    try {
      expect((await decide(viaProxy, ep, { leaseToken, tool: "repo.read" })).decision).toBe("allow");
      const inflight = Array.from({ length: 10 }, () => decide(viaProxy, ep, { leaseToken, tool: "repo.read" }).then((r) => r, (e: unknown) => e));
      await proxy.cut();
      const after = await Promise.all([...inflight, ...Array.from({ length: 5 }, () => decide(viaProxy, ep, { leaseToken, tool: "repo.read" }).then((r) => r, (e: unknown) => e))]);
      const failures = after.filter((r) => !(r && typeof r === "object" && "decision" in r));
      expect(failures.length).toBeGreaterThanOrEqual(5);
      for (const f of failures) {
        const res = toErrorResponse(f);
        expect(res.status).toBe(503);
        expect(await res.json()).toMatchObject({ error: { code: "store_unavailable" } });
      }
      // Whatever answered before the cut was recorded; nothing answered allow without its audit row.
      for (const r of after) if (r && typeof r === "object" && "decisionId" in r) expect(await db().auditEvent.count({ where: { decisionId: (r as { decisionId: string }).decisionId } })).toBe(1);
    } finally {
      await (viaProxy as unknown as PrismaClient).$disconnect().catch(() => {});
    }
  });
});
