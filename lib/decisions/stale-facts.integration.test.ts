// decide() (the Next route's path) evaluates what it loaded with the chain (the agent's drift mode; for
// policies the delegator's groups, role and email) and at commit re-checks only the lease rows (status,
// expiry, budget) and the policy version. A change to those facts that commits between load and commit
// is not seen: the decision commits after it under the old facts. The hot path compares the whole chain
// fingerprint (lanyard_chain_state) at commit and evaluates again. This test plays the race with a row
// lock: the commit waits on the lease row while the agent is switched to enforce.
// Fixed: decide() reads the fingerprint with the chain and compares it again after the commit's locks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "@/lib/generated/prisma/client";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import type { DecisionResponse } from "@/lib/decisions/schemas";
import { stopListening } from "@/lib/events/bus";
import { forgetToolCatalog } from "@/lib/tools/catalog";
import { seedCatalog } from "@/prisma/seed";
import { newId } from "@/lib/ids";
import { publishPolicy } from "@/lib/policy/store";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";
import { takeTurnsPublishingPolicies } from "@/test/policy-lock";

takeTurnsPublishingPolicies();

beforeAll(async () => {
  await seedCatalog(db());
  forgetToolCatalog();
});
afterAll(() => stopListening());

/**
 * Runs `change` (committed) while decide()'s commit of `call` waits on a lock of the lease row, after it
 * has loaded the chain and evaluated: the answer then tells whether the commit saw the change.
 */
async function decideAcross(leaseId: string, decideIt: () => Promise<DecisionResponse>, change: () => Promise<unknown>): Promise<DecisionResponse> {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  let holderPid = 0;
  const holder = db().$transaction(async (tx) => {
    await tx.$executeRaw(Prisma.sql`SELECT 1 FROM "leases" WHERE "id" = ${leaseId} FOR UPDATE`);
    holderPid = (await tx.$queryRaw<{ pid: number }[]>(Prisma.sql`SELECT pg_backend_pid() AS pid`))[0]!.pid;
    locked();
    await held;
  }, { timeout: 30_000, maxWait: 10_000 });
  await isLocked;
  const pending = decideIt();
  for (let i = 0; ; i++) {
    const [w] = await db().$queryRaw<{ n: number }[]>(Prisma.sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE ${holderPid}::int = ANY(pg_blocking_pids(pid))`);
    if (w!.n > 0) break;
    if (i > 1000) throw new Error("decide() never waited on the lease row");
    await new Promise((r) => setTimeout(r, 10));
  }
  await change();
  release();
  await holder;
  return pending;
}

describe("decide(): facts beyond the lease rows, changed between load and commit", () => {
  it("an agent switched to enforce while an off-intent call commits: the call is not allowed under advisory", async () => {
    const { actor: ep } = await seedEnforcementPoint(db());
    const agent = await seedAgent(db());
    const { lease, leaseToken } = await seedLease(db(), { agentId: agent.id, intent: { resources: ["repos/acme/"] } });
    const call = { leaseToken, tool: "repo.read", resource: { type: "repo", id: "repos/globex/api" } };
    // advisory: allowed and flagged
    expect(await decide(db(), ep, call)).toMatchObject({ decision: "allow" });

    // The agent is switched to enforce while decide()'s commit waits (it has loaded and evaluated under advisory by then).
    const r = await decideAcross(lease.id, () => decide(db(), ep, call), () => db().agent.update({ where: { id: agent.id }, data: { driftMode: "enforce" } }));
    expect(r).toMatchObject({ decision: "escalate", reasons: [{ code: "intent_drift" }] });
  }, 30_000);

  it("the delegator joins a group a policy forbids while a call commits: the call is denied by that policy, not allowed", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const { actor: ep } = await seedEnforcementPoint(db());
    const agent = await seedAgent(db());
    const { lease, leaseToken, admin: delegator } = await seedLease(db(), { agentId: agent.id });
    const name = `blocked-${newId("grp").slice(-8).toLowerCase()}`;
    const group = await db().group.create({ data: { id: newId("grp"), name } });
    // Scoped to this file's agent: other files publish their own sets meanwhile (a version replaces the whole text).
    const text = `@id("blocked-group-reads") forbid(principal in Agent::"${agent.id}", action == Action::"repo.read", resource) when { context.delegator in Group::"${name}" };`;
    const call = { leaseToken, tool: "repo.read" };
    for (let attempt = 1; ; attempt++) {
      await db().groupMember.deleteMany({ where: { groupId: group.id, userId: delegator.id } });
      const { version } = await publishPolicy(db(), admin, { text, message: "stale facts test" });
      const before = await decide(db(), ep, call);
      const r = await decideAcross(lease.id, () => decide(db(), ep, call), () => db().groupMember.create({ data: { groupId: group.id, userId: delegator.id } }));
      if ((before.policy.version !== version || r.policy.version !== version) && attempt < 5) continue; // another file published in between
      expect(before).toMatchObject({ decision: "allow", policy: { version } });
      expect(r).toMatchObject({ decision: "deny", reasons: [{ code: "policy_forbid" }], policy: { version, determinedBy: ["blocked-group-reads"] } });
      break;
    }
  }, 60_000);
});
