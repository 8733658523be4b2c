// Replay over a generated history: 10,000 decisions written by one INSERT … SELECT generate_series
// inside a time window of this file's own (year 2031 + a random day), so other files' decisions are
// never in range.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "@/lib/generated/prisma/client";
import { db } from "@/lib/db";
import { stopListening } from "@/lib/events/bus";
import { replayPolicy } from "@/lib/policy/replay";
import { forgetToolCatalog } from "@/lib/tools/catalog";
import { seedCatalog } from "@/prisma/seed";
import { decide } from "@/lib/decisions/decide";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";

const N = 10_000;
const TOOLS = ["repo.read", "repo.commit", "production.deploy", "contracts.read"];
const base = new Date(Date.UTC(2031, 0, 1) + Math.floor(Math.random() * 300) * 86_400_000);
const window = { since: base.toISOString(), until: new Date(base.getTime() + (N + 1) * 1000).toISOString() };

type Lease = { id: string; runId: string; agentId: string; delegatorRole: string };
let leases: Lease[] = [];

// The generated row i, as the SQL below makes it (and as the hand-written check reads it).
const gen = (i: number) => {
  const lease = leases[i % leases.length]!;
  const tool = TOOLS[i % TOOLS.length]!;
  return {
    lease,
    tool,
    environment: i % 3 === 0 ? "production" : "staging",
    outcome: i % 5 === 0 ? "deny" : i % 7 === 0 ? "escalate" : "allow",
    resourceId: tool === "repo.commit" ? `b${i % 10}` : null,
  };
};

beforeAll(async () => {
  await seedCatalog(db());
  forgetToolCatalog();
  const requester = await seedPerson(db(), { role: "requester" });
  for (let k = 0; k < 6; k++) {
    const agent = await seedAgent(db());
    const { lease } = await seedLease(db(), { agentId: agent.id });
    // Half the leases delegated by a requester, half by an admin (seedLease's issuer).
    if (k % 2) await db().lease.update({ where: { id: lease.id }, data: { delegatorId: requester.id } });
    leases.push({ id: lease.id, runId: lease.runId, agentId: agent.id, delegatorRole: k % 2 ? "requester" : "admin" });
  }
  const ids = leases.map((l) => l.id);
  await db().$executeRaw(Prisma.sql`
    INSERT INTO "decisions" ("id", "leaseId", "runId", "agentId", "tool", "resource", "context", "outcome", "reasons", "leaseVersion", "createdAt")
    SELECT 'dec_replay' || md5(${base.toISOString()} || i), l."id", l."runId", l."agentId", t.tool,
      CASE WHEN t.tool = 'repo.commit' THEN jsonb_build_object('type', 'branch', 'id', 'b' || (i % 10)) END,
      jsonb_build_object('environment', CASE WHEN i % 3 = 0 THEN 'production' ELSE 'staging' END),
      CASE WHEN i % 5 = 0 THEN 'deny' WHEN i % 7 = 0 THEN 'escalate' ELSE 'allow' END,
      '[]'::jsonb, 1, ${base}::timestamptz + make_interval(secs => i)
    FROM generate_series(1, ${N}) i
    JOIN "leases" l ON l."id" = (${ids}::text[])[1 + i % ${ids.length}]
    CROSS JOIN LATERAL (SELECT (${TOOLS}::text[])[1 + i % ${TOOLS.length}] AS tool) t`);
});
afterAll(() => stopListening());

const DRAFT = `@id("prod-deploy") @reason("production deploys are for admins' leases")
forbid(principal, action == Action::"production.deploy", resource)
  when { context.environment == "production" }
  unless { context.delegator in Role::"admin" };

@id("protect-b3") @escalate("b3 is protected")
forbid(principal, action == Action::"repo.commit", resource is branch) when { resource.id == "b3" };`;

describe("replay", () => {
  it("finds exactly the decisions a hand-written check finds, and changes nothing", async () => {
    const expected = new Map<string, { from: string; to: string; tool: string; agentId: string }>();
    const idOf = new Map((await db().decision.findMany({ where: { createdAt: { gte: new Date(window.since), lt: new Date(window.until) } }, select: { id: true, createdAt: true } })).map((d) => [Math.round((d.createdAt.getTime() - base.getTime()) / 1000), d.id]));
    expect(idOf.size).toBe(N);
    for (let i = 1; i <= N; i++) {
      const g = gen(i);
      let to = g.outcome;
      if (g.outcome !== "deny") {
        if (g.tool === "production.deploy" && g.environment === "production" && g.lease.delegatorRole !== "admin") to = "deny";
        else if (g.tool === "repo.commit" && g.resourceId === "b3") to = "escalate";
      }
      if (to !== g.outcome) expected.set(idOf.get(i)!, { from: g.outcome, to, tool: g.tool, agentId: g.lease.agentId });
    }
    expect(expected.size).toBeGreaterThan(100);

    const before = await db().$queryRaw<{ n: bigint; h: string }[]>(Prisma.sql`SELECT count(*) AS n, md5(string_agg("id" || "outcome", ',' ORDER BY "id")) AS h FROM "decisions"`);
    const r = await replayPolicy(db(), { text: DRAFT, ...window });
    expect(r.evaluated).toBe(N);
    expect(r.changedTotal).toBe(expected.size);
    expect(new Map(r.changed.map((c) => [c.decisionId, { from: c.from, to: c.to, tool: c.tool, agentId: c.agentId }]))).toEqual(expected);
    for (const c of r.changed) expect(c.policyIds).toEqual([c.tool === "production.deploy" ? "prod-deploy" : "protect-b3"]);
    const byTool: Record<string, number> = {};
    const byAgent: Record<string, number> = {};
    for (const e of expected.values()) {
      byTool[e.tool] = (byTool[e.tool] ?? 0) + 1;
      byAgent[e.agentId] = (byAgent[e.agentId] ?? 0) + 1;
    }
    expect(r.byTool).toEqual(byTool);
    expect(r.byAgent).toEqual(byAgent);
    // Read-only: no decision written or changed by it.
    const after = await db().$queryRaw<{ n: bigint; h: string }[]>(Prisma.sql`SELECT count(*) AS n, md5(string_agg("id" || "outcome", ',' ORDER BY "id")) AS h FROM "decisions" WHERE "createdAt" >= ${new Date(window.since)} AND "createdAt" < ${new Date(window.until)}`);
    expect(after[0]!.n).toBe(BigInt(N));
    expect(before[0]!.n).toBeGreaterThanOrEqual(BigInt(N));
    console.log(`replay: ${N} decisions in ${r.ms} ms (${r.loadMs} ms reading them), ${r.changedTotal} changed`);
  });

  it("limit evaluates the newest decisions only; one replay at a time (429); an invalid draft is 422", async () => {
    const r = await replayPolicy(db(), { text: DRAFT, ...window, limit: 100 });
    expect(r.evaluated).toBe(100);
    const both = await Promise.allSettled([replayPolicy(db(), { text: DRAFT, ...window, limit: 10 }), replayPolicy(db(), { text: DRAFT, ...window, limit: 10 })]);
    expect(both.map((b) => b.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect((both.find((b) => b.status === "rejected") as PromiseRejectedResult).reason).toMatchObject({ status: 429 });
    await expect(replayPolicy(db(), { text: `forbid(principal, action == Action::"no.such", resource);`, ...window })).rejects.toMatchObject({ status: 422 });
  });

  it("replays the remaining budget each decision had: the lease's allows before it, oldest first", async () => {
    const { actor: ep } = await seedEnforcementPoint(db());
    const agent = await seedAgent(db());
    const { leaseToken } = await seedLease(db(), { agentId: agent.id, maxToolCalls: 5 });
    const since = new Date(Date.now() - 1000).toISOString();
    const ids: string[] = [];
    for (let k = 0; k < 3; k++) {
      const d = await decide(db(), ep, { leaseToken, tool: "repo.read" });
      expect(d.decision).toBe("allow");
      ids.push(d.decisionId);
    }
    // Remaining before each: 5, 4, 3: only the third is under 4.
    const r = await replayPolicy(db(), { text: `@id("low-budget") forbid(principal in Agent::"${agent.id}", action == Action::"repo.read", resource) when { context.remainingToolCalls < 4 };`, since });
    expect(r.changed.filter((c) => c.agentId === agent.id)).toEqual([expect.objectContaining({ decisionId: ids[2], from: "allow", to: "deny", policyIds: ["low-budget"] })]);
    // Each changed entry names its lease and run (the console links to the run).
    const lease = await db().lease.findUniqueOrThrow({ where: { id: r.changed.find((c) => c.agentId === agent.id)!.leaseId } });
    expect(lease.agentId).toBe(agent.id);
    expect(r.changed.find((c) => c.agentId === agent.id)!.runId).toBe(lease.runId);
  });
});
