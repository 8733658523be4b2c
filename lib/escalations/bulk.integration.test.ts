import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { BulkVoteRequest, bulkVote } from "@/lib/escalations/bulk";
import { createEscalation } from "@/lib/escalations/create";
import { castVote } from "@/lib/escalations/vote";
import { stopListening } from "@/lib/events/bus";
import { forgetToolCatalog, toolCatalog } from "@/lib/tools/catalog";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";

let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>["actor"];
beforeAll(async () => {
  ep = (await seedEnforcementPoint(db())).actor;
});
afterAll(() => stopListening());

async function ask(tool: string) {
  const { lease, leaseToken } = await seedLease(db(), { grants: [{ tool: "repo.read" }], deny: [] });
  const { escalation } = await createEscalation(db(), ep, { leaseToken, kind: "more_permission", tool, justification: "needs the test results" });
  return { lease, id: escalation.id };
}

describe("bulk vote", () => {
  it("denies three identical low-risk requests with one reason, each its own vote and audit event; one settled meanwhile and a high-risk one are reported per item", async () => {
    const [a, b, c] = [await ask("ci.test.read"), await ask("ci.test.read"), await ask("ci.test.read")];
    const high = await ask("pull_request.merge");
    const approver = await seedPerson(db(), { role: "approver" });
    const other = await seedPerson(db(), { role: "approver" });
    // Settled by someone else between the selection and the bulk answer.
    await castVote(db(), other, b.id, "approve", "fine");

    const res = await bulkVote(db(), approver, { ids: [a.id, b.id, c.id, high.id], verdict: "deny", reason: "not in this sprint" });
    expect(res).toMatchObject({ voted: 2, failed: 2 });
    const by = new Map(res.results.map((r) => [r.id, r]));
    expect(by.get(a.id)).toMatchObject({ ok: true, escalation: { status: "denied" } });
    expect(by.get(c.id)).toMatchObject({ ok: true, escalation: { status: "denied" } });
    expect(by.get(b.id)).toMatchObject({ ok: false, error: { code: "conflict", status: 409 } });
    expect(by.get(high.id)).toMatchObject({ ok: false, error: { code: "unprocessable", status: 422 } });

    for (const e of [a, c]) {
      const votes = await db().vote.findMany({ where: { escalationId: e.id } });
      expect(votes).toMatchObject([{ voterId: approver.id, verdict: "deny", reason: "not in this sprint" }]);
      const audit = await db().auditEvent.findMany({ where: { escalationId: e.id, action: { in: ["escalation.voted", "escalation.decided"] } } });
      expect(audit.map((x) => x.action).sort()).toEqual(["escalation.decided", "escalation.voted"]);
    }
    // The settled one kept its answer; the high-risk one was not touched.
    expect(await db().escalation.findUniqueOrThrow({ where: { id: b.id } })).toMatchObject({ status: "approved" });
    expect(await db().vote.count({ where: { escalationId: b.id, voterId: approver.id } })).toBe(0);
    expect(await db().escalation.findUniqueOrThrow({ where: { id: high.id } })).toMatchObject({ status: "pending" });
    expect(await db().vote.count({ where: { escalationId: high.id } })).toBe(0);
  });

  it("a request whose tool turned high since the catalog was read is refused in bulk and needs a proof alone", async () => {
    // X4: the risk came from the catalog's 5 s memory and bulk checked it before the vote's transaction, so
    // a raise committed by another instance (here: the row changed under this process's warm catalog) let
    // a bulk approve, or a single approve without a fresh proof, through on a now-high request.
    const tool = `x4.risky-${randomBytes(4).toString("hex")}`;
    await db().tool.create({ data: { name: tool, risk: "medium" } });
    const agent = await seedAgent(db(), { ceilingTools: ["repo.read", tool] });
    const asks = [];
    for (let i = 0; i < 2; i++) {
      const { leaseToken } = await seedLease(db(), { agentId: agent.id, grants: [{ tool: "repo.read" }], deny: [] });
      asks.push((await createEscalation(db(), ep, { leaseToken, kind: "more_permission", tool, justification: "needs it" })).escalation.id);
    }
    forgetToolCatalog();
    expect((await toolCatalog(db())).get(tool)?.risk).toBe("medium");
    await db().$executeRaw`UPDATE "tools" SET "risk" = 'high' WHERE "name" = ${tool}`;
    expect((await toolCatalog(db())).get(tool)?.risk).toBe("medium"); // still remembered here
    const proved = await seedPerson(db(), { role: "approver" });
    const res = await bulkVote(db(), proved, { ids: [asks[0]!], verdict: "approve", reason: "fine" });
    expect(res.results[0]).toMatchObject({ ok: false, error: { code: "unprocessable", status: 422 } });
    const unproved = await seedPerson(db(), { role: "approver", proof: null });
    await expect(castVote(db(), unproved, asks[1]!, "approve", "fine")).rejects.toMatchObject({ code: "reauth_required" });
    expect(await db().escalation.count({ where: { id: { in: asks }, status: "pending" } })).toBe(2);
    expect(await db().vote.count({ where: { escalationId: { in: asks } } })).toBe(0);
  });

  it("a request whose tool turned critical while it waited needs the approvals critical asks, not the number fixed at opening", async () => {
    // X4: requiredApprovals was fixed when the request opened (1 for medium) and castVote settled on it, so a
    // tool raised to critical meanwhile was granted on one person's word.
    const tool = `x4.raised-${randomBytes(4).toString("hex")}`;
    await db().tool.create({ data: { name: tool, risk: "medium" } });
    forgetToolCatalog(); // the request opens knowing the tool as medium
    const agent = await seedAgent(db(), { ceilingTools: ["repo.read", tool] });
    const { leaseToken } = await seedLease(db(), { agentId: agent.id, grants: [{ tool: "repo.read" }], deny: [] });
    const { escalation } = await createEscalation(db(), ep, { leaseToken, kind: "more_permission", tool, justification: "needs it" });
    // What opened it asked (1 for medium, unless another file's route asks more), then one more than that.
    const opened = escalation.requiredApprovals;
    await db().$executeRaw`UPDATE "tools" SET "risk" = 'critical', "requiredApprovals" = ${opened + 1} WHERE "name" = ${tool}`;
    for (let i = 0; i < opened; i++) {
      const a = await seedPerson(db(), { role: "approver" });
      expect(await castVote(db(), a, escalation.id, "approve", "looked at it")).toMatchObject({ status: "pending", requiredApprovals: opened + 1 });
    }
    expect(await castVote(db(), await seedPerson(db(), { role: "approver" }), escalation.id, "approve", "me too")).toMatchObject({ status: "approved" });
  });

  it("takes at most 50 ids and always a reason", () => {
    const ids = Array.from({ length: 51 }, (_, i) => `esc_${i}`);
    expect(BulkVoteRequest.safeParse({ ids, verdict: "deny", reason: "x" }).success).toBe(false);
    expect(BulkVoteRequest.safeParse({ ids: ids.slice(0, 50), verdict: "deny", reason: "x" }).success).toBe(true);
    expect(BulkVoteRequest.safeParse({ ids: ["esc_1"], verdict: "approve", reason: " " }).success).toBe(false);
  });
});
