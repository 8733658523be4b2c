import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LAST_SEEN_EVERY_MS, noteAgentSeen } from "@/lib/agents/last-seen";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { createHotPath } from "@/lib/decisions/hot-path";
import { stopListening } from "@/lib/events/bus";
import { forgetToolCatalog } from "@/lib/tools/catalog";
import { seedCatalog } from "@/prisma/seed";
import { createHotPool } from "@/server/index";
import { seedAgent, seedEnforcementPoint, seedLease } from "@/test/factories";

let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>["actor"];
beforeAll(async () => {
  await seedCatalog(db());
  forgetToolCatalog();
  ep = (await seedEnforcementPoint(db())).actor;
});
afterAll(() => stopListening());

const agentRow = (id: string) => db().agent.findUniqueOrThrow({ where: { id }, select: { lastSeenAt: true, updatedAt: true } });

/** The write is outside the decision and not awaited by it: poll for it. */
async function seenAfter(id: string, since: Date): Promise<Date> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 25))) {
    const { lastSeenAt } = await agentRow(id);
    if (lastSeenAt && lastSeenAt >= since) return lastSeenAt;
  }
  throw new Error(`lastSeenAt of ${id} was not written`);
}

describe("agents.lastSeenAt", () => {
  it("is written by a decision through decide()", async () => {
    const { lease, leaseToken } = await seedLease(db());
    const before = await agentRow(lease.agentId);
    expect(before.lastSeenAt).toBeNull();
    const asked = new Date(Date.now() - 1000);
    expect((await decide(db(), ep, { leaseToken, tool: "repo.read", resource: { type: "repo", id: "r-1" } })).decision).toBe("allow");
    await seenAfter(lease.agentId, asked);
    // A call is not a change of the agent's configuration.
    expect((await agentRow(lease.agentId)).updatedAt).toEqual(before.updatedAt);
  });

  it("is written by a decision on the hot path, a denied one included", async () => {
    const { lease, leaseToken } = await seedLease(db());
    const pool = createHotPool({ max: 2 });
    const hot = createHotPath({ pool, db: db() });
    try {
      const asked = new Date(Date.now() - 1000);
      expect((await hot.decide(ep, { leaseToken, tool: "secrets.read" })).decision).toBe("deny");
      await seenAfter(lease.agentId, asked);
    } finally {
      await pool.end();
    }
  });

  it("is written at most once a minute per agent by one process, and never moves back", async () => {
    const agent = await seedAgent(db());
    const t0 = new Date("2026-03-01T10:00:00Z");
    await noteAgentSeen(db(), agent.id, t0);
    expect((await agentRow(agent.id)).lastSeenAt).toEqual(t0);
    // Within the minute: no write at all (the column is moved aside to see that nothing touches it).
    await db().$executeRaw`UPDATE "agents" SET "lastSeenAt" = ${new Date("2026-01-01T00:00:00Z")} WHERE "id" = ${agent.id}`;
    await noteAgentSeen(db(), agent.id, new Date(t0.getTime() + LAST_SEEN_EVERY_MS - 1));
    expect((await agentRow(agent.id)).lastSeenAt).toEqual(new Date("2026-01-01T00:00:00Z"));
    const t1 = new Date(t0.getTime() + LAST_SEEN_EVERY_MS);
    await noteAgentSeen(db(), agent.id, t1);
    expect((await agentRow(agent.id)).lastSeenAt).toEqual(t1);
    // Another instance that saw the agent later already wrote a newer time: an older one does not replace it.
    const later = new Date(t1.getTime() + 10 * LAST_SEEN_EVERY_MS);
    await db().$executeRaw`UPDATE "agents" SET "lastSeenAt" = ${later} WHERE "id" = ${agent.id}`;
    await noteAgentSeen(db(), agent.id, new Date(t1.getTime() + 2 * LAST_SEEN_EVERY_MS));
    expect((await agentRow(agent.id)).lastSeenAt).toEqual(later);
  });

  it("never fails: a write that cannot be made is dropped", async () => {
    await expect(noteAgentSeen(db(), "agt_doesnotexist", new Date())).resolves.toBeUndefined();
  });
});
