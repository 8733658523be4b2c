import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { compactVerify, importJWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson } from "@/lib/audit/canonical";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { stopListening } from "@/lib/events/bus";
import type { SseMessage } from "@/lib/events/sse";
import { castVote } from "@/lib/escalations/vote";
import { delegateLease } from "@/lib/leases/delegate";
import { completeLease, revokeLease } from "@/lib/leases/lifecycle";
import { receiptDigest, type ReceiptBody } from "@/lib/receipts/receipt";
import { followRun } from "@/lib/runs/timeline";
import { upsertTool } from "@/lib/tools/tools";
import { jwks } from "@/lib/tokens/keys";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";

let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>["actor"];
beforeAll(async () => {
  ep = (await seedEnforcementPoint(db())).actor;
});
afterAll(() => stopListening());

const until = async (cond: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return cond();
};

/** A whole run: issue, a subagent, an allow, a denial, a step-up approved, the subagent revoked, completion. */
async function scenario() {
  const agent = await seedAgent(db());
  const root = await seedLease(db(), { agentId: agent.id, maxToolCalls: 50, maxDelegationDepth: 1, grants: [{ tool: "repo.read" }, { tool: "pull_request.merge", resource: { type: "repo", ids: ["clord"] } }] });
  const child = await delegateLease(db(), ep, root.lease.id, { leaseToken: root.leaseToken, agentId: agent.id, purpose: "classify clauses", grants: [{ tool: "repo.read" }], expiresIn: 600, maxToolCalls: 5 });
  await decide(db(), ep, { leaseToken: root.leaseToken, tool: "repo.read" });
  await decide(db(), ep, { leaseToken: root.leaseToken, tool: "secrets.read" });
  await decide(db(), ep, { leaseToken: child.leaseToken, tool: "repo.read" });
  const esc = await decide(db(), ep, { leaseToken: root.leaseToken, tool: "pull_request.merge", resource: { type: "repo", id: "clord" } });
  const approver = await seedPerson(db(), { role: "approver" });
  const { approvalId } = await castVote(db(), approver, esc.escalationId!, "approve", "ship it");
  await decide(db(), ep, { leaseToken: root.leaseToken, tool: "pull_request.merge", resource: { type: "repo", id: "clord" }, approvalId: approvalId! });
  await revokeLease(db(), root.admin, child.lease.id, "subagent done");
  const done = await completeLease(db(), ep, root.lease.id, root.leaseToken);
  return { root, child, done, approver };
}

describe("run timeline stream", () => {
  it("delivers every event type of a run and its subagent, in order; a reconnect resumes after Last-Event-ID", async () => {
    const { root } = await scenario();
    const got: SseMessage[] = [];
    const stop = await followRun(db(), root.lease.runId, null, (m) => got.push(m));
    expect(await until(() => got.some((m) => m.event === "lease.ended"))).toBe(true);
    stop();
    const types = new Set(got.map((m) => m.event));
    for (const t of ["lease.issued", "lease.delegated", "decision", "escalation.created", "escalation.decided", "lease.revoked", "lease.ended"]) expect(types, t).toContain(t);
    const seqs = got.map((m) => BigInt(m.id!));
    expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)).toBe(true);
    expect(got.filter((m) => m.event === "decision")).toHaveLength(5);

    const resumed: SseMessage[] = [];
    const stop2 = await followRun(db(), root.lease.runId, got[2]!.id!, (m) => resumed.push(m));
    // The stream is in order: once the run's last event has arrived, anything extra or repeated came before it.
    expect(await until(() => resumed.at(-1)?.id === got.at(-1)!.id)).toBe(true);
    stop2();
    expect(resumed.map((m) => m.id)).toEqual(got.slice(3).map((m) => m.id));
  });

  it("a two-approver step-up shows every vote (who, verdict, reason), not only the one that settled it", async () => {
    // A tool of this test's own: medium risk (no fresh proof needed to approve), always stepped up, two approvals.
    const tool = `xvote.deploy_${Math.random().toString(36).slice(2, 10)}`;
    const admin = await seedPerson(db(), { role: "admin" });
    await upsertTool(db(), admin, { name: tool, description: "", risk: "medium", readOnly: false, alwaysStepUp: true, requiredApprovals: 2 });
    const agent = await seedAgent(db(), { ceilingTools: [tool] });
    const { leaseToken, lease } = await seedLease(db(), { agentId: agent.id, grants: [{ tool }], deny: [] });
    const esc = await decide(db(), ep, { leaseToken, tool });
    expect(esc.decision).toBe("escalate");
    const [a, b] = [await seedPerson(db(), { role: "approver" }), await seedPerson(db(), { role: "approver" })];
    expect((await castVote(db(), a, esc.escalationId!, "approve", "first look")).status).toBe("pending");
    expect((await castVote(db(), b, esc.escalationId!, "approve", "second look")).status).toBe("approved");
    const got: SseMessage[] = [];
    const stop = await followRun(db(), lease.runId, null, (m) => got.push(m));
    expect(await until(() => got.some((m) => m.event === "escalation.decided"))).toBe(true);
    stop();
    const votes = got.filter((m) => m.event === "escalation.voted").map((m) => m.data as { actorLabel: string; escalationId: string; payload: { verdict: string; reason: string } });
    expect(votes.map((v) => [v.escalationId, v.actorLabel, v.payload.verdict, v.payload.reason])).toEqual([
      [esc.escalationId, a.email, "approve", "first look"],
      [esc.escalationId, b.email, "approve", "second look"],
    ]);
  });

  it("a decision made on another instance reaches an open timeline within 1 s", async () => {
    const { leaseToken, lease } = await seedLease(db());
    const got: { m: SseMessage; at: number }[] = [];
    const stop = await followRun(db(), lease.runId, null, (m) => got.push({ m, at: Date.now() }));
    await until(() => got.length >= 1);
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", path.resolve("test/decide-in-another-process.ts"), ep.id, leaseToken], { env: process.env });
    const [, decisionId, when] = /decided (\S+) at (\d+)/.exec(stdout)!;
    expect(await until(() => got.some((g) => g.m.event === "decision"))).toBe(true);
    stop();
    const arrived = got.find((g) => g.m.event === "decision")!;
    expect((arrived.m.data as { decisionId: string }).decisionId).toBe(decisionId);
    expect(arrived.at - Number(when)).toBeLessThan(1_000);
  });
});

describe("run timeline stream, subagents", () => {
  it("follows a subagent started after the stream opened", async () => {
    const agent = await seedAgent(db());
    const root = await seedLease(db(), { agentId: agent.id, maxToolCalls: 20, maxDelegationDepth: 1 });
    const got: SseMessage[] = [];
    const stop = await followRun(db(), root.lease.runId, null, (m) => got.push(m));
    expect(await until(() => got.some((m) => m.event === "lease.issued"))).toBe(true);
    const child = await delegateLease(db(), ep, root.lease.id, { leaseToken: root.leaseToken, agentId: agent.id, purpose: "late subagent", grants: [{ tool: "repo.read" }], expiresIn: 600, maxToolCalls: 5 });
    await decide(db(), ep, { leaseToken: child.leaseToken, tool: "repo.read" });
    const arrived = await until(() => got.some((m) => m.event === "decision" && (m.data as { runId: string }).runId === child.lease.runId), 4_000);
    stop();
    expect(got.some((m) => m.event === "lease.delegated")).toBe(true);
    expect(arrived).toBe(true);
  });
});

describe("receipts", () => {
  it("lists every call, denial and approval; its digest recomputes and its JWS verifies against the JWKS", async () => {
    const { done, root, child, approver } = await scenario();
    const r = done.receipt;
    expect(r).toMatchObject({ leaseId: root.lease.id, runId: root.lease.runId, status: "completed", endedReason: "run completed", delegator: root.admin.email });
    expect(r.approvers).toEqual([approver.email]);
    expect(r.toolCalls.map((c) => `${c.tool}:${c.decision}`)).toEqual(["repo.read:allow", "secrets.read:deny", "pull_request.merge:escalate", "pull_request.merge:allow"]);
    expect(r.denied).toEqual([expect.objectContaining({ tool: "secrets.read", reasons: ["tool_denied"] })]);
    expect(r.approvalsRequested).toEqual([expect.objectContaining({ kind: "step_up", tool: "pull_request.merge", status: "consumed", approvals: [expect.objectContaining({ by: approver.email, verdict: "approve" })] })]);
    expect(r.resourcesTouched).toEqual([{ type: "repo", id: "clord" }]);
    expect(r.delegatedTo).toEqual([expect.objectContaining({ leaseId: child.lease.id, status: "revoked" })]);
    const { digest, ...body } = r;
    expect(receiptDigest(body as ReceiptBody)).toBe(digest);
    const stored = await db().receipt.findUniqueOrThrow({ where: { leaseId: root.lease.id } });
    const set = await jwks(db());
    const { payload, protectedHeader } = await compactVerify(stored.jws, async (h) => importJWK(set.keys.find((k) => k.kid === h.kid)!, "EdDSA"));
    expect(protectedHeader.typ).toBe("lanyard-receipt+jws");
    expect(new TextDecoder().decode(payload)).toBe(canonicalJson(body));
    // Tampering with the body breaks the digest.
    expect(receiptDigest({ ...(body as ReceiptBody), purpose: "something else" })).not.toBe(digest);
  });
});
