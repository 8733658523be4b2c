// Issue 14's "done when", against the real database: a policy on the delegator's groups, replayed, published,
// and deciding on both decision paths. Test files share the database and run in parallel, so the policies
// here are scoped to this file's own agent (principal in Agent::"…"), as in policy.integration.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { explainDecision } from "@/lib/audit/explain";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { createHotPath } from "@/lib/decisions/hot-path";
import { stopListening } from "@/lib/events/bus";
import { newId } from "@/lib/ids";
import { now } from "@/lib/clock";
import { replayPolicy } from "@/lib/policy/replay";
import { publishPolicy } from "@/lib/policy/store";
import { forgetToolCatalog } from "@/lib/tools/catalog";
import { seedCatalog } from "@/prisma/seed";
import { createHotPool } from "@/server/index";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";
import { takeTurnsPublishingPolicies } from "@/test/policy-lock";

takeTurnsPublishingPolicies();

beforeAll(async () => {
  await seedCatalog(db());
  forgetToolCatalog();
});
afterAll(() => stopListening());

const GROUP = "release-managers";

async function joinGroup(userId: string, name = GROUP) {
  const g = await db().group.upsert({ where: { name }, create: { id: newId("grp"), name }, update: {} });
  await db().groupMember.create({ data: { groupId: g.id, userId } });
}

/**
 * Publishes `text` and answers `ask` under it. Another file may publish its own set in between (a
 * version replaces the whole text): then this one is published again and the call asked again.
 */
function publisher(admin: Awaited<ReturnType<typeof seedPerson>>, text: string) {
  let version = 0;
  const publish = async () => (version = (await publishPolicy(db(), admin, { text, message: "groups test" })).version);
  return {
    publish,
    async ask<T extends { policy: { version: number | null } }>(f: () => Promise<T>): Promise<T> {
      for (let i = 0; ; i++) {
        const r = await f();
        if (r.policy.version === version || i >= 5) return r;
        await publish();
      }
    },
    get version() {
      return version;
    },
  };
}

describe("policies on the delegator's groups", () => {
  it("forbid production.deploy unless the delegator is in release-managers: replay finds what flips, then both paths deny with the policy named; members still pass", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const { actor: ep } = await seedEnforcementPoint(db());
    const agent = await seedAgent(db());
    const inGroup = await seedLease(db(), { agentId: agent.id, environment: "production" });
    const outside = await seedLease(db(), { agentId: agent.id, environment: "production" });
    await joinGroup(inGroup.admin.id); // the delegator of a seeded lease is the admin who issued it
    const since = new Date(now().getTime() - 1000).toISOString();
    const text = `@id("deploy-needs-release-manager") @reason("the delegator is not a release manager")
forbid(principal in Agent::"${agent.id}", action == Action::"production.deploy", resource) unless { context.delegator in Group::"${GROUP}" };`;

    // History: a deploy from each lease (critical: the lease rules escalate).
    const pastIn = await decide(db(), ep, { leaseToken: inGroup.leaseToken, tool: "production.deploy" });
    const pastOut = await decide(db(), ep, { leaseToken: outside.leaseToken, tool: "production.deploy" });
    expect([pastIn.decision, pastOut.decision]).toEqual(["escalate", "escalate"]);

    const replay = await replayPolicy(db(), { text, since });
    const mine = replay.changed.filter((c) => c.agentId === agent.id);
    expect(mine).toEqual([expect.objectContaining({ decisionId: pastOut.decisionId, tool: "production.deploy", from: "escalate", to: "deny", policyIds: ["deploy-needs-release-manager"] })]);

    const v = publisher(admin, text);
    await v.publish();
    const pool = createHotPool();
    const hot = createHotPath({ pool, db: db() });
    try {
      for (const answer of [await v.ask(() => decide(db(), ep, { leaseToken: outside.leaseToken, tool: "production.deploy" })), await v.ask(() => hot.decide(ep, { leaseToken: outside.leaseToken, tool: "production.deploy" }))]) {
        expect(answer).toMatchObject({ decision: "deny", reasons: [{ code: "policy_forbid" }], policy: { version: v.version, determinedBy: ["deploy-needs-release-manager"] } });
        const x = await explainDecision(db(), answer.decisionId);
        expect(x.policy).toMatchObject({ version: answer.policy.version, determinedBy: ["deploy-needs-release-manager"], policies: [{ id: "deploy-needs-release-manager" }] });
      }
      // The member's deploy is what the lease rules say (people approve a critical tool), not forbidden.
      for (const answer of [await v.ask(() => decide(db(), ep, { leaseToken: inGroup.leaseToken, tool: "production.deploy" })), await v.ask(() => hot.decide(ep, { leaseToken: inGroup.leaseToken, tool: "production.deploy" }))]) {
        expect(answer).toMatchObject({ decision: "escalate", reasons: [{ code: "approval_required" }], policy: { version: v.version, determinedBy: [] } });
      }
    } finally {
      await pool.end();
    }
  });

  it("adding the delegator to a group reaches the hot path's cached chain: the next decision flips (its fingerprint names the groups)", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const { actor: ep } = await seedEnforcementPoint(db());
    const agent = await seedAgent(db());
    const lease = await seedLease(db(), { agentId: agent.id });
    const group = `readers-${newId("grp").slice(-8).toLowerCase()}`;
    const text = `@id("reads-need-group") forbid(principal in Agent::"${agent.id}", action == Action::"repo.read", resource) unless { context.delegator in Group::"${group}" };`;
    const pool = createHotPool();
    const hot = createHotPath({ pool, db: db() });
    try {
      const v = publisher(admin, text);
      await v.publish();
      const read = () => v.ask(() => hot.decide(ep, { leaseToken: lease.leaseToken, tool: "repo.read" }));
      // The chain (without the group) is now cached by the hot path.
      expect(await read()).toMatchObject({ decision: "deny", policy: { version: v.version, determinedBy: ["reads-need-group"] } });
      await joinGroup(lease.admin.id, group);
      expect(await read()).toMatchObject({ decision: "allow", policy: { version: v.version, determinedBy: [] } });
      // And out again.
      await db().groupMember.deleteMany({ where: { userId: lease.admin.id } });
      expect(await read()).toMatchObject({ decision: "deny", policy: { determinedBy: ["reads-need-group"] } });
    } finally {
      await pool.end();
    }
  });
});
