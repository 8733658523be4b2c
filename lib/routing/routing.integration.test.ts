import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { stopListening } from "@/lib/events/bus";
import { listQueue } from "@/lib/escalations/queue";
import { castVote } from "@/lib/escalations/vote";
import { addMember, createGroup } from "@/lib/groups/groups";
import { issueLease } from "@/lib/leases/issue";
import { createApprovalRoute, deleteApprovalRoute, updateApprovalRoute } from "@/lib/routing/routes";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";

let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>["actor"];
let admin: Awaited<ReturnType<typeof seedPerson>>;
beforeAll(async () => {
  ep = (await seedEnforcementPoint(db())).actor;
  admin = await seedPerson(db(), { role: "admin" });
});
afterAll(() => stopListening());

/** A group holding fresh approvers. */
async function group(members: number) {
  const g = await createGroup(db(), admin, { name: `route-${randomBytes(4).toString("hex")}` });
  const people = [];
  for (let i = 0; i < members; i++) {
    const p = await seedPerson(db(), { role: "approver" });
    await addMember(db(), admin, g.id, p.id);
    people.push(p);
  }
  return { id: g.id, people };
}

const escalationOf = async (leaseToken: string, tool: string, resource?: { type: string; id: string }) => {
  const d = await decide(db(), ep, { leaseToken, tool, ...(resource ? { resource } : {}) });
  expect(d.decision).toBe("escalate");
  return db().escalation.findUniqueOrThrow({ where: { id: d.escalationId! } });
};
const windowMin = (e: { createdAt: Date; expiresAt: Date }) => Math.round((e.expiresAt.getTime() - e.createdAt.getTime()) / 60_000);

describe("approval routing", () => {
  it("the first matching route assigns its groups, its threshold (never below the risk's) and its window; reordering changes the winner", async () => {
    const [deployers, reviewers] = [await group(1), await group(1)];
    const agent = await seedAgent(db());
    // Every route names this test's agent: routes are global, and other test files run beside this one.
    const r1 = await createApprovalRoute(db(), admin, { name: "deploys", position: 1, agentId: agent.id, tool: "production.deploy", groupIds: [deployers.id], requiredApprovals: 3, windowMinutes: 5 });
    const r2 = await createApprovalRoute(db(), admin, { name: "the rest", position: 2, agentId: agent.id, environment: "staging", groupIds: [reviewers.id], requiredApprovals: 1 });
    const { leaseToken } = await seedLease(db(), { agentId: agent.id, grants: [{ tool: "production.deploy" }, { tool: "pull_request.merge" }] });

    const deploy = await escalationOf(leaseToken, "production.deploy");
    expect(deploy).toMatchObject({ routeId: r1.id, assignedGroupIds: [deployers.id], requiredApprovals: 3 });
    expect(windowMin(deploy)).toBe(5);

    // pull_request.merge (high) falls through to r2: its own N (1) stands, the risk's window (60 min)
    // cut to the lease's remaining 30.
    const merge = await escalationOf(leaseToken, "pull_request.merge");
    expect(merge).toMatchObject({ routeId: r2.id, assignedGroupIds: [reviewers.id], requiredApprovals: 1 });
    expect(windowMin(merge)).toBe(30);

    // r2 first now: it wins for the deploy too, and its N of 1 is raised to the 2 a critical tool requires.
    await updateApprovalRoute(db(), admin, r2.id, { position: 0 });
    await deleteApprovalRoute(db(), admin, r1.id);
    const { leaseToken: second } = await seedLease(db(), { agentId: agent.id, grants: [{ tool: "production.deploy" }] });
    const deploy2 = await escalationOf(second, "production.deploy");
    expect(deploy2).toMatchObject({ routeId: r2.id, assignedGroupIds: [reviewers.id], requiredApprovals: 2 });
    expect(windowMin(deploy2)).toBe(15);
    await deleteApprovalRoute(db(), admin, r2.id);
    const audit = await db().auditEvent.findMany({ where: { subjectId: { in: [r1.id, r2.id] } }, select: { action: true }, orderBy: { seq: "asc" } });
    expect(audit.map((a) => a.action)).toEqual(["approval_route.created", "approval_route.created", "approval_route.updated", "approval_route.deleted", "approval_route.deleted"]);
  });

  it("a route naming a group or agent that does not exist is refused (422), not saved to route to nobody", async () => {
    await expect(createApprovalRoute(db(), admin, { name: "typo", groupIds: ["grp_doesnotexist"] })).rejects.toMatchObject({ status: 422 });
    const g = await group(0);
    await expect(createApprovalRoute(db(), admin, { name: "typo", agentId: "agt_doesnotexist", groupIds: [g.id] })).rejects.toMatchObject({ status: 422 });
    expect(await db().approvalRoute.count({ where: { name: "typo" } })).toBe(0);
  });

  it("with no route: the agent owner's groups (those with an approver), else any approver", async () => {
    const owners = await group(1);
    const owner = await seedPerson(db(), { role: "requester" });
    await addMember(db(), admin, owners.id, owner.id);
    // A group of the owner with nobody who can vote is not an assignment.
    const empty = await createGroup(db(), admin, { name: `route-${randomBytes(4).toString("hex")}` });
    await addMember(db(), admin, empty.id, owner.id);
    const owned = await seedAgent(db(), { ownerId: owner.id });
    const { leaseToken } = await seedLease(db(), { agentId: owned.id });
    expect(await escalationOf(leaseToken, "production.deploy")).toMatchObject({ routeId: null, assignedGroupIds: [owners.id], requiredApprovals: 2 });

    const { leaseToken: loose } = await seedLease(db());
    expect(await escalationOf(loose, "production.deploy")).toMatchObject({ routeId: null, assignedGroupIds: [] });
  });

  it("the queue lists what is assigned to the viewer first; others still see it and may vote", async () => {
    const mine = await group(1);
    const agent = await seedAgent(db());
    await createApprovalRoute(db(), admin, { name: "mine", agentId: agent.id, groupIds: [mine.id] });
    const { leaseToken } = await seedLease(db(), { agentId: agent.id, grants: [{ tool: "pull_request.merge" }] });
    const assigned = await escalationOf(leaseToken, "pull_request.merge");
    const viewer = mine.people[0]!;
    const queue = await listQueue(db(), { status: "pending", limit: 200 }, viewer);
    const item = queue.find((i) => i.id === assigned.id)!;
    expect(item.assignedToYou).toBe(true);
    // Everything assigned to the viewer comes before everything that is not.
    const firstOther = queue.findIndex((i) => !i.assignedToYou);
    expect(firstOther === -1 || queue.slice(firstOther).every((i) => !i.assignedToYou)).toBe(true);
    const outsider = await seedPerson(db(), { role: "approver" });
    const seen = (await listQueue(db(), { status: "pending", limit: 200 }, outsider)).find((i) => i.id === assigned.id);
    expect(seen?.assignedToYou).toBe(false);
    expect((await castVote(db(), outsider, assigned.id, "approve", "")).status).toBe("approved");
  });

  it("the agent's owner who delegated the lease cannot approve its escalations", async () => {
    const owner = await seedPerson(db(), { role: "admin" });
    const agent = await seedAgent(db(), { ownerId: owner.id });
    const { leaseToken } = await issueLease(db(), owner, { agentId: agent.id, purpose: "owner's own run", environment: "staging", grants: [{ tool: "pull_request.merge" }], deny: [], requireApproval: [], expiresIn: 1800, maxToolCalls: 10, maxDelegationDepth: 0 });
    const e = await escalationOf(leaseToken, "pull_request.merge");
    await expect(castVote(db(), owner, e.id, "approve", "mine")).rejects.toMatchObject({ status: 403, code: "self_approval" });
  });
});
