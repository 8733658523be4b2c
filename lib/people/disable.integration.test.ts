import { beforeAll, describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { castVote } from "@/lib/escalations/vote";
import { delegateLease } from "@/lib/leases/delegate";
import { issueLease } from "@/lib/leases/issue";
import { updatePerson } from "@/lib/people/people";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";

let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>["actor"];
beforeAll(async () => {
  ep = (await seedEnforcementPoint(db())).actor;
});

const ask = (leaseToken: string, tool = "repo.read") => decide(db(), ep, { leaseToken, tool });
const leaseInput = (agentId: string) => ({
  agentId,
  purpose: "disable race",
  environment: "staging",
  grants: [{ tool: "repo.read" }],
  deny: [],
  requireApproval: [],
  expiresIn: 600,
  maxToolCalls: 10,
  maxDelegationDepth: 0,
});

describe("disabling a person withdraws the authority that flows from them", () => {
  it("revokes their live leases and the leases delegated under them, cancels their pending requests, withdraws their open votes — audited, in one transaction", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    // D delegated a lease (with a subagent lease under it) and has a request waiting.
    const { lease, leaseToken, admin: d } = await seedLease(db(), { maxDelegationDepth: 1 });
    const child = await delegateLease(db(), ep, lease.id, { leaseToken, agentId: (await seedAgent(db())).id, purpose: "subagent", grants: [{ tool: "repo.read" }], expiresIn: 300, maxToolCalls: 5 });
    expect((await ask(child.leaseToken)).decision).toBe("allow");
    const requested = await issueLease(db(), ep, { ...leaseInput((await seedAgent(db())).id), requestedBy: d.email });
    expect(requested.lease.status).toBe("pending_approval");
    // D voted to approve someone else's critical step-up, which needs two approvals: still open.
    const other = await seedLease(db());
    const stepUp = await ask(other.leaseToken, "production.deploy");
    expect(stepUp.decision).toBe("escalate");
    await castVote(db(), d, stepUp.escalationId!, "approve", "looks right");
    expect(await db().vote.count({ where: { escalationId: stepUp.escalationId!, voterId: d.id } })).toBe(1);

    await updatePerson(db(), admin, d.id, { status: "disabled" });

    const leases = await db().lease.findMany({ where: { id: { in: [lease.id, child.lease.id, requested.lease.id] } } });
    for (const l of leases) expect(l, l.id).toMatchObject({ status: "revoked", endedReason: "delegator_inactive" });
    expect(await db().escalation.findFirstOrThrow({ where: { leaseId: requested.lease.id, kind: "lease_request" } })).toMatchObject({ status: "cancelled" });
    // The vote is gone, the question is still open for others, and nothing of D's counts toward it.
    expect(await db().vote.count({ where: { escalationId: stepUp.escalationId! } })).toBe(0);
    expect(await db().escalation.findUniqueOrThrow({ where: { id: stepUp.escalationId! } })).toMatchObject({ status: "pending" });
    expect((await ask(leaseToken)).reasons[0]!.code).toBe("lease_revoked");
    expect((await ask(child.leaseToken)).reasons[0]!.code).toBe("lease_revoked");

    const revokedEvents = await db().auditEvent.findMany({ where: { action: "lease.revoked", leaseId: { in: leases.map((l) => l.id) } } });
    expect(revokedEvents).toHaveLength(3);
    for (const e of revokedEvents) expect(e).toMatchObject({ actorId: admin.id, payload: expect.objectContaining({ reason: "delegator_inactive" }) });
    const withdrawn = await db().auditEvent.findFirstOrThrow({ where: { action: "escalation.vote_withdrawn", escalationId: stepUp.escalationId! } });
    expect(withdrawn).toMatchObject({ actorId: admin.id, payload: expect.objectContaining({ voterId: d.id, verdict: "approve", reason: "delegator_inactive" }) });
    const disabled = await db().auditEvent.findFirstOrThrow({ where: { action: "person.disabled", subjectId: d.id } });
    expect(disabled.payload).toMatchObject({ revokedLeases: expect.arrayContaining([lease.id, child.lease.id, requested.lease.id]), withdrawnVotes: [expect.any(String)] });
  });

  it("decisions deny a lease whose delegator is not active, even if the lease itself still says active", async () => {
    const { lease, leaseToken, admin: d } = await seedLease(db());
    expect((await ask(leaseToken)).decision).toBe("allow");
    // As if the disable's revocation had not reached this lease: the decision checks the person itself.
    await db().user.update({ where: { id: d.id }, data: { status: "disabled" } });
    const res = await ask(leaseToken);
    expect(res).toMatchObject({ decision: "deny", reasons: [{ code: "delegator_inactive" }] });
    expect((await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).toolCallsUsed).toBe(1);
  });

  it("leases issued concurrently with the disable never stay active: each is refused or revoked", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const d = await seedPerson(db(), { role: "admin" });
    // One agent each: issuance locks the agent's row, which would queue them all before the disable.
    const agents = await Promise.all(Array.from({ length: 30 }, () => seedAgent(db())));
    const issues = agents.map((agent, i) =>
      new Promise((r) => setTimeout(r, i * 25)).then(() => issueLease(db(), d, leaseInput(agent.id))).then(
        (res) => ({ ok: true as const, id: res.lease.id }),
        (err: unknown) => ({ ok: false as const, err }),
      ),
    );
    // Disable once the first lease exists, while the rest are still being issued.
    await expect.poll(() => db().lease.count({ where: { delegatorId: d.id } }), { timeout: 30_000, interval: 5 }).toBeGreaterThan(0);
    await updatePerson(db(), admin, d.id, { status: "disabled" });
    const results = await Promise.all(issues);

    for (const r of results) if (!r.ok) expect(r.err, String(r.err)).toMatchObject({ code: "unprocessable" } satisfies Partial<AppError>);
    const issued = results.flatMap((r) => (r.ok ? [r.id] : []));
    expect(issued.length).toBeGreaterThan(0);
    const rows = await db().lease.findMany({ where: { delegatorId: d.id } });
    expect(rows.map((l) => l.id).sort()).toEqual(issued.sort());
    expect(rows.filter((l) => l.status === "active")).toEqual([]);
    for (const l of rows) expect(l).toMatchObject({ status: "revoked", endedReason: "delegator_inactive" });
    // Once the disable has committed, an issuance still holding the person's old session is refused.
    await expect(issueLease(db(), d, leaseInput(agents[0]!.id))).rejects.toMatchObject({ code: "unprocessable", issues: [{ path: ["requestedBy"] }] });
  });
});
