// The call's arguments on both decision paths: the hot-path server over real HTTP and decide() (Next's route).
import { createHash } from "node:crypto";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson } from "@/lib/audit/canonical";
import { db } from "@/lib/db";
import { AUDIT_ARGUMENTS_MAX_BYTES } from "@/lib/decisions/arguments";
import { decide } from "@/lib/decisions/decide";
import { stopListening } from "@/lib/events/bus";
import { castVote } from "@/lib/escalations/vote";
import { issueLease } from "@/lib/leases/issue";
import { createLanyardServer } from "@/server/index";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";

type Server = ReturnType<typeof createLanyardServer>;
let server: Server;
let url: string;
let key: string;
let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>["actor"];
beforeAll(async () => {
  server = createLanyardServer({ fallback: (_req, res) => void res.writeHead(299).end() });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ({ key, actor: ep } = await seedEnforcementPoint(db()));
});
afterAll(async () => {
  await new Promise<void>((r) => (server.closeAllConnections(), server.close(() => void server.pool.end().finally(r))));
  await stopListening();
});

const post = (body: unknown) => fetch(`${url}/api/v1/decisions`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
type Answer = { decision: string; decisionId: string; reasons: { code: string }[]; escalationId: string | null };
const ask = async (body: object): Promise<Answer> => {
  const res = await post(body);
  expect(res.status).toBe(200);
  return res.json() as Promise<Answer>;
};
const sha = (v: unknown) => createHash("sha256").update(canonicalJson(v)).digest("hex");
const row = (id: string) => db().decision.findUniqueOrThrow({ where: { id } });
const event = (id: string) => db().auditEvent.findFirstOrThrow({ where: { decisionId: id, action: "decision" } });

describe("decisions carry the call's arguments", () => {
  it("stores the arguments and Lanyard's digest alike on the hot path and in decide(); the audit event carries the digest, and the values only when small", async () => {
    const { leaseToken } = await seedLease(db());
    const args = { path: "/srv/repo/README.md", options: { z: 1, a: [true, null, "é"] } };
    const hot = await ask({ leaseToken, tool: "repo.read", arguments: args });
    const ref = await decide(db(), ep, { leaseToken, tool: "repo.read", arguments: args });
    expect([hot.decision, ref.decision]).toEqual(["allow", "allow"]);
    const [hotRow, refRow] = [await row(hot.decisionId), await row(ref.decisionId)];
    expect(hotRow).toMatchObject({ arguments: args, argumentsDigest: sha(args) });
    expect({ ...hotRow, id: "", latencyMs: 0, createdAt: null }).toEqual({ ...refRow, id: "", latencyMs: 0, createdAt: null });
    const [hotEvent, refEvent] = [await event(hot.decisionId), await event(ref.decisionId)];
    expect(hotEvent.payload).toMatchObject({ argumentsDigest: sha(args), arguments: args });
    expect({ ...(hotEvent.payload as object), latencyMs: 0 }).toEqual({ ...(refEvent.payload as object), latencyMs: 0 });

    // Larger than the audit copy's bound: the row keeps them, the event only their digest.
    const big = { content: "x".repeat(AUDIT_ARGUMENTS_MAX_BYTES * 4) };
    const large = await ask({ leaseToken, tool: "repo.read", arguments: big });
    expect(await row(large.decisionId)).toMatchObject({ arguments: big, argumentsDigest: sha(big) });
    const p = (await event(large.decisionId)).payload as Record<string, unknown>;
    expect(p.argumentsDigest).toBe(sha(big));
    expect(p).not.toHaveProperty("arguments");

    // Only a digest (an enforcement point that must not send the values); or nothing at all, as before.
    const digestOnly = await ask({ leaseToken, tool: "repo.read", argumentsDigest: sha(args) });
    expect(await row(digestOnly.decisionId)).toMatchObject({ arguments: null, argumentsDigest: sha(args) });
    const none = await ask({ leaseToken, tool: "repo.read" });
    expect(await row(none.decisionId)).toMatchObject({ arguments: null, argumentsDigest: null });
    // Both, agreeing: accepted (key order does not matter to the canonical form).
    const both = await ask({ leaseToken, tool: "repo.read", arguments: { options: { a: [true, null, "é"], z: 1 }, path: "/srv/repo/README.md" }, argumentsDigest: sha(args) });
    expect(both.decision).toBe("allow");
  });

  it("refuses arguments that are not an object, over 16 KiB, or disagree with the digest sent beside them (400, nothing recorded)", async () => {
    const { leaseToken, lease } = await seedLease(db());
    for (const bad of [
      { arguments: ["a"] },
      { arguments: "a" },
      { arguments: { blob: "y".repeat(16 * 1024) } },
      { argumentsDigest: "ABC" },
      { arguments: { a: 1 }, argumentsDigest: sha({ a: 2 }) },
    ]) {
      const res = await post({ leaseToken, tool: "repo.read", ...bad });
      expect(res.status).toBe(400);
      expect((await res.json()).error.code).toBe("invalid_request");
    }
    await expect(decide(db(), ep, { leaseToken, tool: "repo.read", arguments: { a: 1 }, argumentsDigest: sha({ a: 2 }) })).rejects.toMatchObject({ code: "invalid_request" });
    expect(await db().decision.count({ where: { leaseId: lease.id } })).toBe(0);
  });

  it("binds a step-up approval to the arguments' digest: other arguments, or none, are approval_invalid; the approved ones are allowed once", async () => {
    const delegator = await seedPerson(db(), { role: "admin" });
    const agent = await seedAgent(db());
    const { leaseToken } = await issueLease(db(), delegator, {
      agentId: agent.id, purpose: "ship", environment: "staging", grants: [{ tool: "pull_request.merge", resource: { type: "repo", ids: ["clord"] } }],
      deny: [], requireApproval: [], expiresIn: 1800, maxToolCalls: 100, maxDelegationDepth: 0,
    });
    const resource = { type: "repo", id: "clord" };
    const approved = { pr: 41, method: "squash" };
    const asked = await ask({ leaseToken, tool: "pull_request.merge", resource, arguments: approved });
    expect(asked.decision).toBe("escalate");
    // Other arguments are another question, not the same escalation joined.
    const other = await ask({ leaseToken, tool: "pull_request.merge", resource, arguments: { pr: 42, method: "squash" } });
    expect(other.escalationId).not.toBe(asked.escalationId);
    const again = await ask({ leaseToken, tool: "pull_request.merge", resource, argumentsDigest: sha(approved) });
    expect(again.escalationId).toBe(asked.escalationId);

    const esc = await db().escalation.findUniqueOrThrow({ where: { id: asked.escalationId! } });
    expect(esc).toMatchObject({ arguments: approved, argumentsDigest: sha(approved) });
    expect((await db().auditEvent.findFirstOrThrow({ where: { escalationId: esc.id, action: "escalation.created" } })).payload).toMatchObject({ argumentsDigest: sha(approved) });

    const approver = await seedPerson(db(), { role: "approver" });
    const { approvalId } = await castVote(db(), approver, esc.id, "approve", "merge 41 only");
    expect(approvalId).toBeTruthy();
    const swapped = await ask({ leaseToken, tool: "pull_request.merge", resource, approvalId, arguments: { pr: 666, method: "squash" } });
    expect(swapped).toMatchObject({ decision: "deny", reasons: [{ code: "approval_invalid" }] });
    const bare = await ask({ leaseToken, tool: "pull_request.merge", resource, approvalId });
    expect(bare).toMatchObject({ decision: "deny", reasons: [{ code: "approval_invalid" }] });
    const viaDecide = await decide(db(), ep, { leaseToken, tool: "pull_request.merge", resource, approvalId: approvalId!, argumentsDigest: sha({ pr: 41 }) });
    expect(viaDecide).toMatchObject({ decision: "deny", reasons: [{ code: "approval_invalid" }] });
    // The approved arguments (sent as values, in another key order) are allowed, once.
    const ok = await ask({ leaseToken, tool: "pull_request.merge", resource, approvalId, arguments: { method: "squash", pr: 41 } });
    expect(ok).toMatchObject({ decision: "allow", reasons: [{ code: "approval_granted" }] });
    expect(await row(ok.decisionId)).toMatchObject({ arguments: { method: "squash", pr: 41 }, argumentsDigest: sha(approved), approvalId });
    const replay = await ask({ leaseToken, tool: "pull_request.merge", resource, approvalId, arguments: approved });
    expect(replay).toMatchObject({ decision: "deny", reasons: [{ code: "approval_invalid" }] });
  });
});
