import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { createEscalation } from "@/lib/escalations/create";
import { castVote } from "@/lib/escalations/vote";
import { stopListening } from "@/lib/events/bus";
import { delegateLease } from "@/lib/leases/delegate";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";

let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>["actor"];
beforeAll(async () => {
  ep = (await seedEnforcementPoint(db())).actor;
});
afterAll(() => stopListening());

// Decisions already deny a lease whose delegator is not active (delegator_inactive). The ways a lease
// gains authority or reaches people must refuse it too, or the lease grows (and queues questions)
// while it cannot be used: asked of a lease left active under a disabled person (written straight in,
// as if the disable's revocation had not reached it).
describe("no lease gains authority or asks people while its delegator is not active", () => {
  it("refuses to delegate, to open an escalation, and to approve more permission", async () => {
    const { lease, leaseToken, admin: d } = await seedLease(db(), { grants: [{ tool: "repo.read" }, { tool: "production.deploy" }], deny: [], maxDelegationDepth: 1 });
    const asked = await createEscalation(db(), ep, { leaseToken, kind: "more_permission", tool: "contracts.read", resource: { type: "contract", id: "contract_1" }, justification: "needs a contract" });
    await db().user.update({ where: { id: d.id }, data: { status: "disabled" } });

    const agent = await seedAgent(db());
    await expect(delegateLease(db(), ep, lease.id, { leaseToken, agentId: agent.id, purpose: "subagent", grants: [{ tool: "repo.read" }], expiresIn: 300, maxToolCalls: 5 })).rejects.toMatchObject({ status: 409 });
    expect(await db().lease.count({ where: { parentLeaseId: lease.id } })).toBe(0);

    await expect(createEscalation(db(), ep, { leaseToken, kind: "step_up", tool: "production.deploy", justification: "ship it" })).rejects.toMatchObject({ status: 409 });
    expect(await db().escalation.count({ where: { leaseId: lease.id, kind: "step_up" } })).toBe(0);

    const approver = await seedPerson(db(), { role: "approver" });
    await expect(castVote(db(), approver, asked.escalation.id, "approve", "fine")).rejects.toMatchObject({ status: 409 });
    expect(await db().escalation.findUniqueOrThrow({ where: { id: asked.escalation.id } })).toMatchObject({ status: "pending" });
    expect((await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).grants).toEqual([{ tool: "repo.read" }, { tool: "production.deploy" }]);
  });
});
