import { describe, expect, it } from "vitest";
import { now } from "@/lib/clock";
import { db } from "@/lib/db";
import { listHistory } from "@/lib/escalations/history";
import { listQueue } from "@/lib/escalations/queue";
import { newId } from "@/lib/ids";
import { seedAgent, seedLease } from "@/test/factories";

async function decided(leaseId: string, runId: string, agentId: string, status: "denied" | "approved" | "cancelled", decidedAt: Date | null) {
  return db().escalation.create({
    data: { id: newId("esc"), kind: "step_up", leaseId, runId, agentId, tool: "production.deploy", status, expiresAt: new Date(now().getTime() + 60_000), decidedAt },
  });
}

async function calls(leaseId: string, runId: string, agentId: string, n: number, at: Date) {
  await db().decision.createMany({
    data: Array.from({ length: n }, (_, i) => ({ id: newId("dec"), leaseId, runId, agentId, tool: "repo.read", outcome: "allow", reasons: [], createdAt: new Date(at.getTime() + i) })),
  });
}

describe("approval history", () => {
  it("each decided request shows its own lease's latest calls, however busy another lease is", async () => {
    const agent = await seedAgent(db());
    const quiet = (await seedLease(db(), { agentId: agent.id })).lease;
    const busy = (await seedLease(db(), { agentId: agent.id })).lease;
    const t = now();
    await calls(quiet.id, quiet.runId, agent.id, 3, new Date(t.getTime() - 3_600_000));
    await calls(busy.id, busy.runId, agent.id, 40, t);
    const a = await decided(quiet.id, quiet.runId, agent.id, "denied", new Date(t.getTime() - 1_000));
    const b = await decided(busy.id, busy.runId, agent.id, "denied", t);

    const items = await listHistory(db(), { agentId: agent.id, limit: 200 });
    expect(items.map((i) => i.id)).toEqual([b.id, a.id]);
    // The old read took one shared top-N for all leases: the busy lease's 40 newer calls filled it.
    expect(items.find((i) => i.id === a.id)!.recentDecisions).toHaveLength(3);
    expect(items.find((i) => i.id === b.id)!.recentDecisions).toHaveLength(8);
    const times = items.find((i) => i.id === b.id)!.recentDecisions.map((d) => d.at);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it("reads every decided status in one list, newest decision first, never the pending ones", async () => {
    const agent = await seedAgent(db());
    const { lease } = await seedLease(db(), { agentId: agent.id });
    const t = now().getTime();
    const old = await decided(lease.id, lease.runId, agent.id, "approved", new Date(t - 5_000));
    const undated = await decided(lease.id, lease.runId, agent.id, "cancelled", null);
    const recent = await decided(lease.id, lease.runId, agent.id, "denied", new Date(t));
    await db().escalation.create({ data: { id: newId("esc"), kind: "step_up", leaseId: lease.id, runId: lease.runId, agentId: agent.id, tool: "production.deploy", expiresAt: new Date(t + 60_000) } });

    expect((await listHistory(db(), { agentId: agent.id, limit: 200 })).map((i) => i.id)).toEqual([recent.id, old.id, undated.id]);
    expect((await listHistory(db(), { agentId: agent.id, status: "approved", limit: 200 })).map((i) => i.id)).toEqual([old.id]);
    expect(await listQueue(db(), { agentId: agent.id, limit: 200 })).toHaveLength(1);
  });
});
