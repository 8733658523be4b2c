import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { explainDecision } from "@/lib/audit/explain";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { delegableFor } from "@/lib/entitlements/delegable";
import { createEntitlement, deleteEntitlement } from "@/lib/entitlements/entitlements";
import { DELEGATOR_UNENTITLED } from "@/lib/entitlements/recheck";
import { createEscalation } from "@/lib/escalations/create";
import { openEscalation } from "@/lib/escalations/open";
import { castVote } from "@/lib/escalations/vote";
import { stopListening } from "@/lib/events/bus";
import { newId } from "@/lib/ids";
import { delegateLease } from "@/lib/leases/delegate";
import { issueLease } from "@/lib/leases/issue";
import type { LeaseRequest } from "@/lib/leases/schemas";
import { updatePerson } from "@/lib/people/people";
import { seedAgent, seedEnforcementPoint, seedPerson } from "@/test/factories";
import { ownerDb } from "@/test/owner-db";

let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>["actor"];
beforeAll(async () => {
  ep = (await seedEnforcementPoint(db())).actor;
});
afterAll(() => stopListening());

const LIVE = ["active", "pending_approval"];
const request = (agentId: string, grants: LeaseRequest["grants"], over: Partial<LeaseRequest> = {}): LeaseRequest => ({
  agentId, purpose: "entitlement test", environment: "production", grants, deny: [], requireApproval: [], expiresIn: 900, maxToolCalls: 20, maxDelegationDepth: 1, ...over,
});

async function groupWith(userId: string) {
  const g = await db().group.create({ data: { id: newId("grp"), name: `g-${newId("grp").slice(4, 14)}` } });
  await db().groupMember.create({ data: { groupId: g.id, userId } });
  return g;
}

describe("delegator-bounded authority", () => {
  it("Maya's agent cannot become a finance administrator", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const maya = await seedPerson(db(), { role: "requester" });
    // Maya's group lets her delegate merges; nothing gives her billing.
    const releasers = await groupWith(maya.id);
    await createEntitlement(db(), admin, { subjectType: "group", subjectId: releasers.id, tools: ["pull_request.merge"], environments: ["*"] });
    // An ambitious ceiling: the agent may hold billing.write, if someone who may delegate it does.
    const agent = await seedAgent(db(), { ownerId: maya.id, ceilingTools: ["repo.read", "pull_request.merge", "billing.write", "user.invite"] });

    // Issuing: refused, naming the rule.
    await expect(issueLease(db(), maya, request(agent.id, [{ tool: "billing.write" }]))).rejects.toMatchObject({
      status: 422,
      issues: [{ path: ["grants", 0, "tool"], message: expect.stringContaining(DELEGATOR_UNENTITLED) }],
    });
    // Nor through a gateway asking in her name (the request would wait for an approver otherwise).
    await expect(issueLease(db(), ep, request(agent.id, [{ tool: "user.invite" }], { requestedBy: maya.email }))).rejects.toMatchObject({ status: 422 });

    // What she may delegate is issued, and the entitlement that decided is on record.
    const ok = await issueLease(db(), maya, request(agent.id, [{ tool: "repo.read" }, { tool: "pull_request.merge" }]));
    expect(ok.lease.status).toBe("active");
    const issued = await db().auditEvent.findFirstOrThrow({ where: { leaseId: ok.lease.id, action: "lease.issued" } });
    expect((issued.payload as { entitlements: string[][] }).entitlements).toEqual([["ent_default_role_requester"], [expect.stringMatching(/^ent_/)]]);
    // "explain" names the entitlement that let Maya give the grant a call was allowed under.
    const read = await decide(db(), ep, { leaseToken: ok.leaseToken, tool: "repo.read" });
    expect(read.decision).toBe("allow");
    expect((await explainDecision(db(), read.decisionId)).lease?.entitlements).toEqual([{ grant: { tool: "repo.read" }, entitlementIds: ["ent_default_role_requester"] }]);

    // Delegating to a subagent: no way up either.
    await expect(
      delegateLease(db(), ep, ok.lease.id, { leaseToken: ok.leaseToken, agentId: agent.id, purpose: "sub", grants: [{ tool: "billing.write" }], expiresIn: 300, maxToolCalls: 5 }),
    ).rejects.toMatchObject({ status: 422, message: expect.stringContaining(DELEGATOR_UNENTITLED) });
    // Asking for more: refused before it reaches anyone.
    await expect(createEscalation(db(), ep, { leaseToken: ok.leaseToken, kind: "more_permission", tool: "billing.write", justification: "the prompt got ambitious" })).rejects.toMatchObject({ status: 422 });
    // One that reached the queue anyway (written straight in): approving it is 409 and changes nothing.
    const { id } = await ownerDb().$transaction((tx) =>
      openEscalation(tx, { kind: "more_permission", lease: { ...ok.lease, expiresAt: new Date(ok.lease.expiresAt) }, tool: "billing.write", resource: null, justification: "legacy", risk: "critical", actor: { type: "system", label: "test" }, at: new Date() }),
    );
    const approvers = [await seedPerson(db(), { role: "approver" }), await seedPerson(db(), { role: "approver" })];
    await castVote(db(), approvers[0]!, id, "approve", "looks fine");
    await expect(castVote(db(), approvers[1]!, id, "approve", "looks fine")).rejects.toMatchObject({ status: 409, message: expect.stringContaining("billing.write") });
    expect((await db().lease.findUniqueOrThrow({ where: { id: ok.lease.id } })).grants).toEqual(ok.lease.grants);
    // And no call of billing.write is ever allowed.
    expect((await decide(db(), ep, { leaseToken: ok.leaseToken, tool: "billing.write" })).decision).not.toBe("allow");

    // The console's view: billing.write is missing, and says why.
    const view = await delegableFor(db(), maya.id);
    expect(view.find((t) => t.tool === "billing.write")).toMatchObject({ missing: expect.stringContaining("critical") });
    expect(view.find((t) => t.tool === "pull_request.merge")).toMatchObject({ missing: null, environments: "*" });
    expect(view.find((t) => t.tool === "repo.read")).toMatchObject({ missing: null, entitlementIds: ["ent_default_role_requester"] });
  });

  it("removing an entitlement revokes the leases that no longer fit, cascading, audited with the reason; the rest stay", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const maya = await seedPerson(db(), { role: "requester" });
    const { entitlement } = await createEntitlement(db(), admin, { subjectType: "person", subjectId: maya.id, tools: ["pull_request.merge"], environments: ["production"] });
    const agent = await seedAgent(db());
    const merge = await issueLease(db(), maya, request(agent.id, [{ tool: "pull_request.merge" }]));
    const child = await delegateLease(db(), ep, merge.lease.id, { leaseToken: merge.leaseToken, agentId: agent.id, purpose: "sub", grants: [{ tool: "pull_request.merge" }], expiresIn: 300, maxToolCalls: 5 });
    const plain = await issueLease(db(), maya, request(agent.id, [{ tool: "repo.read" }]));
    expect((await decide(db(), ep, { leaseToken: child.leaseToken, tool: "pull_request.merge" })).decision).not.toBe("deny");

    const res = await deleteEntitlement(db(), admin, entitlement.id);
    expect(res.revokedLeases.sort()).toEqual([merge.lease.id, child.lease.id].sort());
    for (const id of [merge.lease.id, child.lease.id]) expect(await db().lease.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "revoked", endedReason: DELEGATOR_UNENTITLED });
    expect(await db().lease.findUniqueOrThrow({ where: { id: plain.lease.id } })).toMatchObject({ status: "active" });
    const ev = await db().auditEvent.findFirstOrThrow({ where: { leaseId: merge.lease.id, action: "lease.revoked" } });
    expect(ev.payload).toMatchObject({ reason: DELEGATOR_UNENTITLED, detail: { because: `entitlement ${entitlement.id} deleted`, grants: [{ tool: "pull_request.merge" }] } });
    expect(await db().auditEvent.count({ where: { action: "entitlement.deleted", subjectId: entitlement.id } })).toBe(1);
    expect((await decide(db(), ep, { leaseToken: child.leaseToken, tool: "pull_request.merge" })).decision).toBe("deny");
  });

  it("a role change re-checks: an approver's merge lease ends when they become a requester", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const avery = await seedPerson(db(), { role: "approver" });
    const agent = await seedAgent(db());
    // Approvers may not issue from the console; a gateway asks in their name, and someone approves.
    const asked = await issueLease(db(), ep, request(agent.id, [{ tool: "pull_request.merge" }], { requestedBy: avery.email }));
    const esc = await db().escalation.findFirstOrThrow({ where: { leaseId: asked.lease.id, kind: "lease_request" } });
    await castVote(db(), await seedPerson(db(), { role: "approver" }), esc.id, "approve", "ok");
    expect((await db().lease.findUniqueOrThrow({ where: { id: asked.lease.id } })).status).toBe("active");
    await updatePerson(db(), admin, avery.id, { role: "requester" });
    expect(await db().lease.findUniqueOrThrow({ where: { id: asked.lease.id } })).toMatchObject({ status: "revoked", endedReason: DELEGATOR_UNENTITLED });
  });

  it("an approval is checked against the delegator's entitlements at approval time: 409 after they lost them", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const maya = await seedPerson(db(), { role: "requester" });
    const { entitlement } = await createEntitlement(db(), admin, { subjectType: "person", subjectId: maya.id, tools: ["production.deploy"], environments: ["*"] });
    const agent = await seedAgent(db());
    const asked = await issueLease(db(), maya, request(agent.id, [{ tool: "production.deploy" }]));
    expect(asked.lease.status).toBe("pending_approval");
    // Taken away while the request waits: the re-check ends the pending request too.
    await deleteEntitlement(db(), admin, entitlement.id);
    expect(await db().lease.findUniqueOrThrow({ where: { id: asked.lease.id } })).toMatchObject({ status: "revoked", endedReason: DELEGATOR_UNENTITLED });
    expect((await db().escalation.findFirstOrThrow({ where: { leaseId: asked.lease.id } })).status).toBe("cancelled");
  });

  it("issuances racing an entitlement's removal never leave a live lease that does not fit", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const maya = await seedPerson(db(), { role: "requester" });
    const group = await groupWith(maya.id);
    const { entitlement } = await createEntitlement(db(), admin, { subjectType: "group", subjectId: group.id, tools: ["pull_request.merge"], environments: ["*"] });
    const agent = await seedAgent(db());
    const settled = Promise.allSettled(Array.from({ length: 12 }, () => issueLease(db(), maya, request(agent.id, [{ tool: "pull_request.merge" }]))));
    // Remove it once the first lease is in, while the rest are on their way.
    for (const deadline = Date.now() + 20_000; (await db().lease.count({ where: { agentId: agent.id } })) === 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 5));
    await deleteEntitlement(db(), admin, entitlement.id);
    const results = await settled;
    expect(results.some((r) => r.status === "fulfilled")).toBe(true);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toMatchObject({ status: 422 });
    expect(await db().lease.count({ where: { agentId: agent.id, status: { in: LIVE } } })).toBe(0);
  }, 60_000);

  it("entitlement routes refuse unknown tools and subjects (422) and unknown ids (404)", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    await expect(createEntitlement(db(), admin, { subjectType: "role", subjectId: "wizard", tools: ["no.such_tool"], environments: ["*"] })).rejects.toMatchObject({ status: 422, issues: [{ path: ["subjectId"] }, { path: ["tools", 0] }] });
    await expect(deleteEntitlement(db(), admin, "ent_nosuch")).rejects.toMatchObject({ status: 404 });
  });
});
