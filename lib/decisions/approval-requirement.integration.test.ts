// An approval is consumed only when the people who gave it are as many as the call needs now: a policy
// published after the approval that asks for more approvers (@approvals) sends the call back to people
// (hostile review, issue 14). Policies are scoped to this file's agent: other files publish meanwhile (a
// version replaces the whole text), so each step publishes again and retries when another version decided.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import type { DecisionResponse } from "@/lib/decisions/schemas";
import { castVote } from "@/lib/escalations/vote";
import { stopListening } from "@/lib/events/bus";
import { publishPolicy } from "@/lib/policy/store";
import { forgetToolCatalog } from "@/lib/tools/catalog";
import { seedCatalog } from "@/prisma/seed";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";
import { takeTurnsPublishingPolicies } from "@/test/policy-lock";

takeTurnsPublishingPolicies();

beforeAll(async () => {
  await seedCatalog(db());
  forgetToolCatalog();
});
afterAll(() => stopListening());

type Person = Awaited<ReturnType<typeof seedPerson>>;

/** `ask` answered under `text` published: published again (and asked again) when another version decided. */
async function under(admin: Person, text: string, ask: () => Promise<DecisionResponse>): Promise<DecisionResponse> {
  for (let i = 0; ; i++) {
    const { version } = await publishPolicy(db(), admin, { text, message: "approval requirement test" });
    const r = await ask();
    if (r.policy.version === version || i >= 5) return r;
  }
}

describe("an approval given under an older policy, presented when a newer one asks for more approvers", () => {
  it("is not consumed: the call is asked again with the number the policy now asks; enough approvers then let it through once", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const { actor: ep } = await seedEnforcementPoint(db());
    const agent = await seedAgent(db());
    const { lease, leaseToken } = await seedLease(db(), { agentId: agent.id });
    const policy = (approvals: string) => `@id("reads-looked-at") @escalate("reads are looked at") ${approvals} forbid(principal in Agent::"${agent.id}", action == Action::"repo.read", resource);`;
    const call = { leaseToken, tool: "repo.read", resource: { type: "path", id: "README.md" } };

    // Under v1 one person suffices (repo.read is low risk; no @approvals).
    const asked = await under(admin, policy(""), () => decide(db(), ep, call));
    expect(asked).toMatchObject({ decision: "escalate", policy: { determinedBy: ["reads-looked-at"] } });
    expect((await db().escalation.findUniqueOrThrow({ where: { id: asked.escalationId! } })).requiredApprovals).toBe(1);
    const { approvalId } = await castVote(db(), await seedPerson(db(), { role: "approver" }), asked.escalationId!, "approve", "fine");
    expect(approvalId).toBeTruthy();

    // v2 asks for two: the one-person approval is not enough any more.
    const used = (await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).toolCallsUsed;
    const again = await under(admin, policy(`@approvals("2")`), () => decide(db(), ep, { ...call, approvalId: approvalId! }));
    expect(again).toMatchObject({ decision: "escalate", reasons: [{ code: "approval_required", message: expect.stringContaining("given by 1 of the 2 approvers") }] });
    expect(again.escalationId).not.toBe(asked.escalationId);
    expect(await db().escalation.findUniqueOrThrow({ where: { id: asked.escalationId! } })).toMatchObject({ status: "approved" }); // not consumed
    expect(await db().escalation.findUniqueOrThrow({ where: { id: again.escalationId! } })).toMatchObject({ status: "pending", requiredApprovals: 2, kind: "step_up" });
    expect((await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).toolCallsUsed).toBe(used);
    const row = await db().decision.findUniqueOrThrow({ where: { id: again.decisionId } });
    expect(row).toMatchObject({ outcome: "escalate", escalationId: again.escalationId, approvalId });
    expect(await db().auditEvent.count({ where: { escalationId: asked.escalationId!, action: "escalation.consumed" } })).toBe(0);

    // Two people approve the new question: its approval is accepted under v2, once.
    await castVote(db(), await seedPerson(db(), { role: "approver" }), again.escalationId!, "approve", "one");
    const { approvalId: second } = await castVote(db(), await seedPerson(db(), { role: "approver" }), again.escalationId!, "approve", "two");
    const allowed = await under(admin, policy(`@approvals("2")`), () => decide(db(), ep, { ...call, approvalId: second! }));
    expect(allowed).toMatchObject({ decision: "allow", reasons: [{ code: "approval_granted" }] });
    expect(await db().escalation.findUniqueOrThrow({ where: { id: again.escalationId! } })).toMatchObject({ status: "consumed" });
  });
});
