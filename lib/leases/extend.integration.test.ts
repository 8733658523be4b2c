import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { db } from "@/lib/db";
import { seedEnforcementPoint, seedAgent, seedLease, seedPerson } from "@/test/factories";
import { castVote } from "@/lib/escalations/vote";
import { stopListening } from "@/lib/events/bus";
import { refreshLeaseToken, requestExtension } from "@/lib/leases/extend";
import { delegateLease } from "@/lib/leases/delegate";
import { revokeLease } from "@/lib/leases/lifecycle";
import { ensureReceipt } from "@/lib/receipts/receipt";
import { timelineSince } from "@/lib/runs/timeline";

let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>["actor"];
beforeAll(async () => {
  ep = (await seedEnforcementPoint(db())).actor;
});
afterAll(() => stopListening());

// Low-risk grants only: approving needs one approver and no proof of presence.
async function lowLease(over: { ceilingMaxExpiresIn?: number; ceilingMaxToolCalls?: number } = {}) {
  const agent = await seedAgent(db(), { ceilingMaxExpiresIn: over.ceilingMaxExpiresIn ?? 3600, ceilingMaxToolCalls: over.ceilingMaxToolCalls ?? 100 });
  return seedLease(db(), { agentId: agent.id, grants: [{ tool: "repo.read" }], deny: [], expiresIn: 600, maxToolCalls: 10 });
}

describe("extending a lease", () => {
  it("goes through an approval that raises expiry and budget, bumps the version, is audited, on the timeline and in the receipt; the token is re-issued with the new exp", async () => {
    const { lease, leaseToken, admin } = await lowLease();
    const { escalation } = await requestExtension(db(), admin, lease.id, { expiresIn: 1800, maxToolCalls: 50, justification: "the migration takes longer" });
    expect(escalation).toMatchObject({ kind: "extension", status: "pending", tool: null, extension: { maxToolCalls: 50 } });
    // A second one while it waits: refused, not joined (it may ask other limits).
    await expect(requestExtension(db(), admin, lease.id, { maxToolCalls: 60, justification: "more" })).rejects.toMatchObject({ status: 409 });
    // The asker never approves it (an admin who did not delegate it either).
    await expect(castVote(db(), admin, escalation.id, "approve", "")).rejects.toMatchObject({ code: "self_approval" });
    expect((await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).maxToolCalls).toBe(10);

    const approver = await seedPerson(db(), { role: "approver" });
    await expect(castVote(db(), approver, escalation.id, "approve", "ok")).resolves.toMatchObject({ status: "approved" });
    const after = await db().lease.findUniqueOrThrow({ where: { id: lease.id } });
    expect(after).toMatchObject({ maxToolCalls: 50, version: 2, status: "active" });
    expect(after.expiresAt.toISOString()).toBe(escalation.extension!.expiresAt);
    expect(after.expiresAt.getTime() - Date.parse(lease.expiresAt)).toBeGreaterThan(1000 * 1000);

    const audit = await db().auditEvent.findFirstOrThrow({ where: { leaseId: lease.id, action: "lease.extended" } });
    expect(audit).toMatchObject({ escalationId: escalation.id, leaseVersion: 2, actorLabel: approver.email, payload: { from: { maxToolCalls: 10, expiresAt: lease.expiresAt }, to: { maxToolCalls: 50 } } });
    const timeline = await timelineSince(db(), [lease.runId], 0n);
    expect(timeline.map((e) => e.action)).toContain("lease.extended");

    // The old token carries the old exp; the enforcement point trades it for one with the new exp.
    expect(decodeJwt(leaseToken).exp).toBe(Math.floor(Date.parse(lease.expiresAt) / 1000));
    const fresh = await refreshLeaseToken(db(), ep, lease.id, leaseToken);
    expect(decodeJwt(fresh.leaseToken).exp).toBe(Math.floor(after.expiresAt.getTime() / 1000));
    await expect(refreshLeaseToken(db(), ep, lease.id, "not-a-token")).rejects.toMatchObject({ status: 403 });

    await revokeLease(db(), admin, lease.id, "done");
    const { receipt } = await ensureReceipt(db(), lease.id);
    expect(receipt.extensions).toMatchObject([{ escalationId: escalation.id, by: approver.email, from: { maxToolCalls: 10 }, to: { maxToolCalls: 50 } }]);
    await expect(refreshLeaseToken(db(), ep, lease.id, leaseToken)).rejects.toMatchObject({ status: 409 });
  });

  it("refuses beyond the agent's ceiling when asked (422), and at approval when the ceiling shrank meanwhile (409, nothing changes)", async () => {
    const { lease, admin } = await lowLease({ ceilingMaxExpiresIn: 3600, ceilingMaxToolCalls: 100 });
    // The ceiling bounds the lease's whole life from its issue, not each extension.
    await expect(requestExtension(db(), admin, lease.id, { expiresIn: 3600, justification: "longer" })).rejects.toMatchObject({ status: 422, issues: [{ path: ["expiresIn"] }] });
    await expect(requestExtension(db(), admin, lease.id, { maxToolCalls: 101, justification: "more" })).rejects.toMatchObject({ status: 422, issues: [{ path: ["maxToolCalls"] }] });
    await expect(requestExtension(db(), admin, lease.id, { maxToolCalls: 5, justification: "fewer" })).rejects.toMatchObject({ status: 422 });

    const { escalation } = await requestExtension(db(), admin, lease.id, { maxToolCalls: 80, justification: "more" });
    await db().agent.update({ where: { id: lease.agentId }, data: { ceilingMaxToolCalls: 40 } });
    const approver = await seedPerson(db(), { role: "approver" });
    await expect(castVote(db(), approver, escalation.id, "approve", "ok")).rejects.toMatchObject({ status: 409 });
    expect(await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).toMatchObject({ maxToolCalls: 10, version: 1 });
    expect(await db().escalation.findUniqueOrThrow({ where: { id: escalation.id } })).toMatchObject({ status: "pending" });
    expect(await db().vote.count({ where: { escalationId: escalation.id } })).toBe(0);
  });

  it("a subagent's lease is not extended to more calls than its parent has left (as at delegation)", async () => {
    // X4: extensionIssues bounded an extension's budget by the agent's ceiling only, so a child delegated 5
    // of its parent's 10 calls could ask for (and be approved) 80, a lease its chain cannot back.
    const agent = await seedAgent(db(), { ceilingMaxToolCalls: 100 });
    const { lease: parent, leaseToken, admin } = await seedLease(db(), { agentId: agent.id, grants: [{ tool: "repo.read" }], deny: [], expiresIn: 600, maxToolCalls: 10, maxDelegationDepth: 1 });
    const sub = await seedAgent(db(), { ceilingMaxToolCalls: 100 });
    const child = await delegateLease(db(), ep, parent.id, { leaseToken, agentId: sub.id, purpose: "sub task", grants: [{ tool: "repo.read" }], expiresIn: 300, maxToolCalls: 5 });
    const childId = child.lease.id;
    await expect(requestExtension(db(), admin, childId, { maxToolCalls: 80, justification: "more calls" })).rejects.toMatchObject({ status: 422, issues: [{ path: ["maxToolCalls"] }] });
    await expect(requestExtension(db(), admin, childId, { maxToolCalls: 10, justification: "up to the parent" })).resolves.toMatchObject({ escalation: { status: "pending" } });
  });

  it("concurrent revoke and approval: the lease ends revoked either way, and an extension is never applied after the revocation", async () => {
    for (let round = 0; round < 3; round++) {
      const { lease, admin } = await lowLease();
      const { escalation } = await requestExtension(db(), admin, lease.id, { expiresIn: 1800, justification: "longer" });
      const approver = await seedPerson(db(), { role: "approver" });
      const [vote, revoke] = await Promise.allSettled([castVote(db(), approver, escalation.id, "approve", "ok"), revokeLease(db(), admin, lease.id, "stop")]);
      expect(revoke.status).toBe("fulfilled");
      const l = await db().lease.findUniqueOrThrow({ where: { id: lease.id } });
      expect(l.status).toBe("revoked");
      const e = await db().escalation.findUniqueOrThrow({ where: { id: escalation.id } });
      const events = await db().auditEvent.findMany({ where: { leaseId: lease.id, action: { in: ["lease.extended", "lease.revoked"] } }, orderBy: { seq: "asc" } });
      if (vote.status === "fulfilled") {
        expect(e.status).toBe("approved");
        expect(events.map((x) => x.action)).toEqual(["lease.extended", "lease.revoked"]);
      } else {
        expect(vote.reason).toMatchObject({ status: 409 });
        expect(e.status).toBe("cancelled");
        expect(events.map((x) => x.action)).toEqual(["lease.revoked"]);
        expect(l.expiresAt.toISOString()).toBe(lease.expiresAt);
      }
    }
  });
});
