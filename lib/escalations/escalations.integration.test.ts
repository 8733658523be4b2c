import { execFile } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { advanceClock, resetClock } from "@/lib/clock";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { listenerCount, stopListening } from "@/lib/events/bus";
import { createEscalation } from "@/lib/escalations/create";
import { expireEscalations } from "@/lib/escalations/expire";
import { getEscalation } from "@/lib/escalations/read";
import { castVote } from "@/lib/escalations/vote";
import { decideLeaseRequest } from "@/lib/leases/lifecycle";
import { issueLease } from "@/lib/leases/issue";
import { backoffMs, deliverDue, signature } from "@/lib/webhooks/deliver";
import { createWebhook } from "@/lib/webhooks/webhooks";
import { seedAgent, seedEnforcementPoint, seedPerson } from "@/test/factories";

let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>["actor"];
beforeAll(async () => {
  ep = (await seedEnforcementPoint(db())).actor;
});
afterEach(() => resetClock());
afterAll(() => stopListening());

/** A lease issued by `delegator` (an admin) whose production.deploy (critical) and pull_request.merge (high) need step-up. */
async function setup() {
  const delegator = await seedPerson(db(), { role: "admin" });
  const agent = await seedAgent(db());
  const { lease, leaseToken } = await issueLease(db(), delegator, {
    agentId: agent.id,
    purpose: "ship the fix",
    environment: "staging",
    grants: [{ tool: "repo.read" }, { tool: "production.deploy" }, { tool: "pull_request.merge", resource: { type: "repo", ids: ["clord"] } }],
    deny: [],
    requireApproval: [],
    expiresIn: 1800,
    maxToolCalls: 100,
    maxDelegationDepth: 0,
  });
  const approvers = [await seedPerson(db(), { role: "approver" }), await seedPerson(db(), { role: "approver" })] as const;
  return { delegator, agent, lease, leaseToken, approvers };
}
const ask = (leaseToken: string, tool: string, extra: object = {}) => decide(db(), ep, { leaseToken, tool, ...extra });

describe("escalations and votes", () => {
  it("a critical step-up needs two distinct approvers; the delegator cannot approve; one vote per person", async () => {
    const { delegator, leaseToken, approvers } = await setup();
    const d = await ask(leaseToken, "production.deploy");
    expect(d.decision).toBe("escalate");
    const id = d.escalationId!;
    await expect(castVote(db(), delegator, id, "approve", "mine")).rejects.toMatchObject({ status: 403, code: "self_approval" });
    await expect(castVote(db(), approvers[0], id, "approve", "")).rejects.toMatchObject({ status: 400 });
    const first = await castVote(db(), approvers[0], id, "approve", "change ticket CHG-1");
    expect(first).toMatchObject({ status: "pending", requiredApprovals: 2, approvalId: null });
    await expect(castVote(db(), approvers[0], id, "approve", "again")).rejects.toMatchObject({ status: 409 });
    const second = await castVote(db(), approvers[1], id, "approve", "looks right");
    expect(second.status).toBe("approved");
    expect(second.approvalId).toMatch(/^apr_/);
    expect(second.approvals.map((a) => a.by)).toEqual([approvers[0].email, approvers[1].email]);
    await expect(castVote(db(), delegator, id, "deny", "too late")).rejects.toMatchObject({ status: 409 });
    const actions = (await db().auditEvent.findMany({ where: { escalationId: id }, orderBy: { seq: "asc" } })).map((e) => e.action);
    expect(actions).toEqual(["escalation.created", "decision", "escalation.voted", "escalation.voted", "escalation.decided"]);
  });

  it("an approval is single-use, only for its lease, tool and resource; two concurrent uses give one allow", async () => {
    const { leaseToken, approvers } = await setup();
    const resource = { type: "repo", id: "clord" };
    const esc = (await ask(leaseToken, "pull_request.merge", { resource })).escalationId!;
    const { approvalId } = await castVote(db(), approvers[0], esc, "approve", "ok");
    expect((await ask(leaseToken, "pull_request.merge", { resource: { type: "repo", id: "other" }, approvalId })).reasons[0]!.code).toBe("resource_out_of_scope");
    const other = await setup();
    expect((await ask(other.leaseToken, "pull_request.merge", { resource, approvalId })).reasons[0]!.code).toBe("approval_invalid");
    const [a, b] = await Promise.all([ask(leaseToken, "pull_request.merge", { resource, approvalId }), ask(leaseToken, "pull_request.merge", { resource, approvalId })]);
    expect([a.decision, b.decision].sort()).toEqual(["allow", "deny"]);
    expect([a, b].find((x) => x.decision === "deny")!.reasons[0]!.code).toBe("approval_invalid");
    expect((await ask(leaseToken, "pull_request.merge", { resource, approvalId })).reasons[0]!.code).toBe("approval_invalid");
    expect((await db().escalation.findUniqueOrThrow({ where: { id: esc } })).status).toBe("consumed");
    const used = await db().auditEvent.findMany({ where: { escalationId: esc, action: "escalation.consumed" } });
    expect(used).toHaveLength(1);
    expect(used[0]!.decisionId).toBe([a, b].find((x) => x.decision === "allow")!.decisionId);
  });

  it("an approval expires after a few minutes", async () => {
    const { leaseToken, approvers } = await setup();
    const resource = { type: "repo", id: "clord" };
    const esc = (await ask(leaseToken, "pull_request.merge", { resource })).escalationId!;
    const { approvalId } = await castVote(db(), approvers[0], esc, "approve", "ok");
    advanceClock(6 * 60_000);
    expect((await ask(leaseToken, "pull_request.merge", { resource, approvalId })).reasons[0]!.code).toBe("approval_invalid");
  });

  it("an unanswered escalation expires at the end of its window and the call stays denied", async () => {
    const { leaseToken, approvers } = await setup();
    const esc = (await ask(leaseToken, "production.deploy")).escalationId!;
    const pending = await db().escalation.findUniqueOrThrow({ where: { id: esc } });
    expect(pending.expiresAt.getTime() - pending.createdAt.getTime()).toBe(15 * 60_000); // critical: 15 minutes
    // Its window ends (moved for this escalation only: a sweep with the clock moved would expire other files' too).
    await db().escalation.update({ where: { id: esc }, data: { expiresAt: new Date(Date.now() - 1_000) } });
    expect(await expireEscalations(db())).toBeGreaterThanOrEqual(1);
    expect((await db().escalation.findUniqueOrThrow({ where: { id: esc } })).status).toBe("expired");
    await expect(castVote(db(), approvers[0], esc, "approve", "late")).rejects.toMatchObject({ status: 409 });
    const again = await ask(leaseToken, "production.deploy");
    expect(again.decision).toBe("escalate");
    expect(again.escalationId).not.toBe(esc);
  });

  it("20 votes from two approvers at once settle it exactly once; the others are 409, none a 5xx", async () => {
    const { leaseToken, approvers } = await setup();
    const esc = (await ask(leaseToken, "pull_request.merge", { resource: { type: "repo", id: "clord" } })).escalationId!;
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => castVote(db(), approvers[i % 2]!, esc, i % 3 === 0 ? "deny" : "approve", "race")));
    const ok = results.filter((r) => r.status === "fulfilled");
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(ok).toHaveLength(1);
    expect(rejected.map((r) => (r.reason as { status?: number }).status)).toEqual(Array(19).fill(409));
    expect(await db().auditEvent.count({ where: { escalationId: esc, action: "escalation.decided" } })).toBe(1);
    expect(await db().vote.count({ where: { escalationId: esc } })).toBe(1);
  });

  it("more_permission, once approved, adds the grant to the lease (new version) and the call is allowed", async () => {
    const { lease, leaseToken, approvers } = await setup();
    await expect(createEscalation(db(), ep, { leaseToken, kind: "more_permission", tool: "repo.read", justification: "already have it" })).rejects.toMatchObject({ status: 409 });
    await expect(createEscalation(db(), ep, { leaseToken, kind: "more_permission", tool: "secrets.read", justification: "beyond the ceiling" })).rejects.toMatchObject({ status: 422 });
    expect((await ask(leaseToken, "repo.commit", { resource: { type: "branch", id: "agent/x" } })).reasons[0]!.code).toBe("tool_not_granted");
    const { escalation } = await createEscalation(db(), ep, { leaseToken, kind: "more_permission", tool: "repo.commit", resource: { type: "branch", id: "agent/x" }, justification: "need to commit the fix" });
    expect(escalation).toMatchObject({ kind: "more_permission", status: "pending", requiredApprovals: 1 });
    await castVote(db(), approvers[0], escalation.id, "approve", "fine");
    const after = await db().lease.findUniqueOrThrow({ where: { id: lease.id } });
    expect(after.version).toBe(2);
    expect((await ask(leaseToken, "repo.commit", { resource: { type: "branch", id: "agent/x" } })).decision).toBe("allow");
    expect((await ask(leaseToken, "repo.commit", { resource: { type: "branch", id: "main" } })).reasons[0]!.code).toBe("resource_out_of_scope");
  });

  it("an approved lease request activates the lease; the requester cannot approve it", async () => {
    const requester = await seedPerson(db(), { role: "requester", entitled: ["production.deploy"] });
    const agent = await seedAgent(db());
    const { lease, leaseToken } = await issueLease(db(), requester, { agentId: agent.id, purpose: "deploy", environment: "staging", grants: [{ tool: "production.deploy" }], deny: [], requireApproval: [], expiresIn: 600, maxToolCalls: 5, maxDelegationDepth: 0 });
    expect(lease.status).toBe("pending_approval");
    expect((await ask(leaseToken, "repo.read")).reasons[0]!.code).toBe("lease_pending");
    await expect(decideLeaseRequest(db(), requester, lease.id, "approve", "me")).rejects.toMatchObject({ code: "self_approval" });
    const a = [await seedPerson(db(), { role: "approver" }), await seedPerson(db(), { role: "approver" })];
    expect((await decideLeaseRequest(db(), a[0]!, lease.id, "approve", "ok")).lease.status).toBe("pending_approval"); // critical: two approvers
    const done = await decideLeaseRequest(db(), a[1]!, lease.id, "approve", "ok");
    expect(done.lease).toMatchObject({ status: "active", approvedBy: a[1]!.id });
  });

  it("the long-poll returns within 500 ms of a vote cast by another instance (another process)", async () => {
    const { leaseToken, approvers } = await setup();
    const esc = (await ask(leaseToken, "pull_request.merge", { resource: { type: "repo", id: "clord" } })).escalationId!;
    const started = Date.now();
    const parked = listenerCount();
    const waiting = getEscalation(db(), ep, esc, 30).then((r) => ({ ...r, at: Date.now() }));
    // The vote must come while the long-poll waits for it (subscribed), or it would be read at once instead.
    for (const deadline = Date.now() + 10_000; listenerCount() <= parked && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 5));
    expect(listenerCount()).toBeGreaterThan(parked);
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", path.resolve("test/vote-in-another-process.ts"), esc, approvers[0].id, approvers[0].session!.id], { env: process.env });
    const votedAt = Number(/voted at (\d+)/.exec(stdout)![1]);
    const woke = await waiting;
    expect(woke.escalation.status).toBe("approved");
    expect(woke.at - votedAt).toBeLessThan(500);
    expect(woke.at - started).toBeLessThan(30_000);
  });

  it("an enforcement point cannot read another's escalation (404)", async () => {
    const { leaseToken } = await setup();
    const esc = (await ask(leaseToken, "production.deploy")).escalationId!;
    const other = (await seedEnforcementPoint(db())).actor;
    await expect(getEscalation(db(), other, esc, 0)).rejects.toMatchObject({ status: 404 });
  });
});

describe("webhooks", () => {
  it("POST signed escalation events to a receiver, and retry a failing one with backoff", async () => {
    // The webhook hears every escalation created while it is active, other test files' too: the
    // receiver fails our escalation's first delivery only, and the test looks at ours only.
    let esc = "";
    const received: { body: string; sig: string; event: string }[] = [];
    let failuresLeft = 1;
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c)).on("end", () => {
        if (!esc || !body.includes(esc)) return res.writeHead(204).end();
        if (failuresLeft-- > 0) return res.writeHead(500).end();
        received.push({ body, sig: String(req.headers["x-lanyard-signature"]), event: String(req.headers["x-lanyard-event"]) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    // "localhost" is allowed by name in the tests' LANYARD_WEBHOOK_ALLOWED_HOSTS; 127.0.0.1 itself is refused.
    const url = `http://localhost:${(server.address() as { port: number }).port}/hook`;
    const admin = await seedPerson(db(), { role: "admin" });
    const { webhook, secret } = await createWebhook(db(), admin, { url, events: ["escalation.created"] });
    try {
      const { leaseToken } = await setup();
      esc = (await ask(leaseToken, "production.deploy")).escalationId!;
      const ours = { webhookId: webhook.id, payload: { path: ["data", "escalationId"], equals: esc } };
      await deliverDue(db());
      expect(received).toHaveLength(0);
      let d = await db().webhookDelivery.findFirstOrThrow({ where: ours });
      expect(d).toMatchObject({ status: "pending", attempts: 1, lastStatus: 500 });
      advanceClock(backoffMs(1) + 1_000);
      await deliverDue(db());
      d = await db().webhookDelivery.findFirstOrThrow({ where: ours });
      expect(d).toMatchObject({ status: "delivered", attempts: 2, lastStatus: 204 });
      expect(received).toHaveLength(1);
      const { body, sig, event } = received[0]!;
      expect(event).toBe("escalation.created");
      const t = Number(/t=(\d+)/.exec(sig)![1]);
      expect(sig).toBe(signature(secret, t, body));
      expect(sig).not.toBe(signature("whsec_wrong", t, body));
      const payload = JSON.parse(body);
      expect(payload).toMatchObject({ event: "escalation.created", data: { escalationId: esc, tool: "production.deploy", risk: "critical" } });
      expect(payload.link).toContain(`/approvals?escalation=${esc}`);
    } finally {
      server.close();
      await db().webhook.update({ where: { id: webhook.id }, data: { active: false } });
    }
  });
});
