import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { castVote } from "@/lib/escalations/vote";
import { stopListening } from "@/lib/events/bus";
import { issueLease } from "@/lib/leases/issue";
import { updatePerson } from "@/lib/people/people";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";

let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>["actor"];
beforeAll(async () => {
  ep = (await seedEnforcementPoint(db())).actor;
});
afterAll(() => stopListening());

// Each request reads the person once, at authentication (actorForSession). The actor objects below are
// that read, made just before an admin's role change commits; the work itself runs after it, as a
// request already past authentication does when the change lands mid-flight.
describe("a role change takes effect on requests already under way", () => {
  it("a vote from someone demoted from approver since their request was authenticated does not count", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const approver = await seedPerson(db(), { role: "approver" });
    const { leaseToken } = await seedLease(db());
    const { escalationId } = await decide(db(), ep, { leaseToken, tool: "production.deploy" });
    expect(escalationId).toBeTruthy();
    await updatePerson(db(), admin, approver.id, { role: "requester" });
    await expect(castVote(db(), approver, escalationId!, "approve", "ship it")).rejects.toMatchObject({ status: 403, code: "forbidden" });
    expect(await db().vote.count({ where: { escalationId: escalationId! } })).toBe(0);
    expect(await db().escalation.findUniqueOrThrow({ where: { id: escalationId! } })).toMatchObject({ status: "pending" });
  });

  it("an admin demoted to requester mid-request cannot issue critical tools without approval on the old role", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const demoted = await seedPerson(db(), { role: "admin", entitled: ["production.deploy"] });
    const agent = await seedAgent(db());
    await updatePerson(db(), admin, demoted.id, { role: "requester" });
    await expect(
      issueLease(db(), demoted, {
        agentId: agent.id,
        purpose: "deploy on the old role",
        environment: "staging",
        grants: [{ tool: "production.deploy" }],
        deny: [],
        requireApproval: [],
        expiresIn: 600,
        maxToolCalls: 5,
        maxDelegationDepth: 0,
      }),
    ).rejects.toMatchObject({ status: 403, code: "forbidden" });
    expect(await db().lease.count({ where: { delegatorId: demoted.id } })).toBe(0);
    // In their current role, the same request is issued and waits for an approver.
    const again = await issueLease(db(), { ...demoted, role: "requester" }, { agentId: agent.id, purpose: "deploy", environment: "staging", grants: [{ tool: "production.deploy" }], deny: [], requireApproval: [], expiresIn: 600, maxToolCalls: 5, maxDelegationDepth: 0 });
    expect(again.lease.status).toBe("pending_approval");
  });
});
