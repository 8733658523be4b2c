// The custom server over real HTTP on 127.0.0.1, against the test database, with a stub in Next's place.
import type http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { listenerCount, stopListening } from "@/lib/events/bus";
import { castVote } from "@/lib/escalations/vote";
import { issueLease } from "@/lib/leases/issue";
import { revokeLease } from "@/lib/leases/lifecycle";
import { createHotPool, createLanyardServer } from "@/server/index";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";

type Server = ReturnType<typeof createLanyardServer>;
const seenByFallback: http.IncomingHttpHeaders[] = [];
const fallback = (req: http.IncomingMessage, res: http.ServerResponse) => {
  seenByFallback.push(req.headers);
  res.writeHead(299, { "content-type": "text/plain" }).end("next");
};

async function start(pool = createHotPool()): Promise<{ server: Server; url: string }> {
  const server = createLanyardServer({ fallback, pool });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
const stop = (s: Server) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => void s.pool.end().finally(r))));

let app: { server: Server; url: string };
let key: string;
let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>["actor"];
beforeAll(async () => {
  app = await start();
  ({ key, actor: ep } = await seedEnforcementPoint(db()));
});
afterAll(async () => {
  await stop(app.server);
  await stopListening();
});

const post = (body: unknown, headers: Record<string, string> = {}, url = app.url) =>
  fetch(`${url}/api/v1/decisions`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}`, ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
const ask = async (leaseToken: string, tool = "repo.read", extra: object = {}) => {
  const res = await post({ leaseToken, tool, ...extra });
  expect(res.status).toBe(200);
  return res.json() as Promise<{ decision: string; decisionId: string; reasons: { code: string; message: string }[]; escalationId: string | null; lease: { id: string; status: string; remainingToolCalls: number; expiresAt: string } | null }>;
};
async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/application\/json/);
  const body = await res.json();
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  return body;
}
const eventColumns = (e: Record<string, unknown>) => Object.keys(e).sort();

describe("the hot path server: POST /api/v1/decisions", () => {
  it("answers allow, deny and escalate with the same body, rows and audit shape as decide()", async () => {
    const { lease, leaseToken } = await seedLease(db(), { maxToolCalls: 10 });
    const allow = await ask(leaseToken, "repo.commit", { resource: { type: "branch", id: "agent/x" } });
    expect(allow).toMatchObject({ decision: "allow", reasons: [{ code: "granted" }], escalationId: null, lease: { id: lease.id, status: "active", remainingToolCalls: 9, expiresAt: lease.expiresAt } });
    const deny = await ask(leaseToken, "secrets.read");
    expect(deny).toMatchObject({ decision: "deny", reasons: [{ code: "tool_denied" }], lease: { remainingToolCalls: 9 } });
    const escalate = await ask(leaseToken, "production.deploy");
    expect(escalate).toMatchObject({ decision: "escalate", reasons: [{ code: "approval_required" }], escalationId: expect.stringMatching(/^esc_/) });
    const bad = await ask("garbage");
    expect(bad).toMatchObject({ decision: "deny", reasons: [{ code: "token_invalid" }], lease: null });

    // The same call through decide() (Next's route) gives the same answer and rows of the same shape.
    const reference = await decide(db(), ep, { leaseToken, tool: "repo.commit", resource: { type: "branch", id: "agent/x" } });
    expect(Object.keys(allow).sort()).toEqual(Object.keys(reference).sort());
    expect({ ...allow, decisionId: "", lease: { ...allow.lease, remainingToolCalls: 0 } }).toEqual({ ...reference, decisionId: "", lease: { ...reference.lease, remainingToolCalls: 0 } });
    const [hotEvent, refEvent] = await Promise.all([allow, reference].map((d) => db().auditEvent.findFirstOrThrow({ where: { decisionId: d.decisionId } })));
    expect(eventColumns(hotEvent!)).toEqual(eventColumns(refEvent!));
    expect({ ...hotEvent!, seq: 0n, id: "", at: null, txid: null, subjectId: "", decisionId: "", payload: { ...(hotEvent!.payload as object), latencyMs: 0 } }).toEqual({
      ...refEvent!,
      seq: 0n,
      id: "",
      at: null,
      txid: null,
      subjectId: "",
      decisionId: "",
      payload: { ...(refEvent!.payload as object), latencyMs: 0 },
    });
    const [hotRow, refRow] = await Promise.all([allow, reference].map((d) => db().decision.findUniqueOrThrow({ where: { id: d.decisionId } })));
    expect({ ...hotRow!, id: "", latencyMs: 0, createdAt: null }).toEqual({ ...refRow!, id: "", latencyMs: 0, createdAt: null });
    expect(hotRow!.createdAt.getTime()).toBeLessThanOrEqual(refRow!.createdAt.getTime());
    expect(Math.abs(hotRow!.createdAt.getTime() - Date.now())).toBeLessThan(60_000); // stored as UTC, like Prisma
    expect((await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).toolCallsUsed).toBe(2);
  });

  it("refuses with 401/403/400/413/415 in the documented shape and records nothing", async () => {
    const narrow = await seedEnforcementPoint(db(), ["leases:request"]);
    const { leaseToken, lease } = await seedLease(db());
    const body = { leaseToken, tool: "repo.read" };
    await expectError(await post(body, { authorization: "" }), 401, "unauthenticated");
    await expectError(await post(body, { authorization: "Bearer lyd_ep_forged" }), 401, "unauthenticated");
    await expectError(await post(body, { authorization: `Bearer ${leaseToken}` }), 401, "unauthenticated");
    await expectError(await post(body, { authorization: `Bearer ${narrow.key}` }), 403, "forbidden");
    await expectError(await post("{}", { "content-type": "text/plain" }), 415, "unsupported_media_type");
    await expectError(await post("{not json"), 400, "invalid_request");
    const missing = await expectError(await post({ leaseToken }), 400, "invalid_request");
    expect(missing.error.issues[0].path).toEqual(["tool"]);
    await expectError(await post({ ...body, extra: 1 }), 400, "invalid_request");
    await expectError(await post({ ...body, tool: "repo.read\u0000" }), 400, "invalid_request");
    await expectError(await post({ leaseToken: "x".repeat(70_000), tool: "repo.read" }), 413, "payload_too_large");
    expect(await db().decision.count({ where: { leaseId: lease.id } })).toBe(0);
  });

  it("limits a key at its own configured rate (429 with Retry-After), other keys at theirs", async () => {
    const limited = await seedEnforcementPoint(db());
    await db().enforcementPoint.update({ where: { id: limited.actor.id }, data: { rateLimitPerSecond: 1 } }); // bursts of 2
    const { leaseToken } = await seedLease(db());
    const body = { leaseToken, tool: "repo.read" };
    expect((await post(body, { authorization: `Bearer ${limited.key}` })).status).toBe(200);
    expect((await post(body, { authorization: `Bearer ${limited.key}` })).status).toBe(200);
    const refused = await post(body, { authorization: `Bearer ${limited.key}` });
    await expectError(refused, 429, "rate_limited");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 5; i++) expect((await post(body)).status).toBe(200);
  });

  it("under overload it queues for a bounded time, then answers 503 with Retry-After (never 500)", async () => {
    const pool = createHotPool({ max: 1, waitMs: 300 });
    const small = await start(pool);
    const held = await pool.connect();
    try {
      const { leaseToken } = await seedLease(db());
      const res = await post({ leaseToken, tool: "repo.read" }, {}, small.url);
      await expectError(res, 503, "store_unavailable");
      expect(res.headers.get("retry-after")).toBe("1");
    } finally {
      held.release();
    }
    const { leaseToken } = await seedLease(db());
    expect((await post({ leaseToken, tool: "repo.read" }, {}, small.url)).status).toBe(200);
    await stop(small.server);
  });

  it("a burst of 300 concurrent calls on a budget of 25 allows exactly 25, with no 5xx", async () => {
    const { lease, leaseToken } = await seedLease(db(), { maxToolCalls: 25 });
    const results = await Promise.all(Array.from({ length: 300 }, () => post({ leaseToken, tool: "repo.read" }).then(async (r) => ({ status: r.status, body: await r.json() }))));
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    expect(results.filter((r) => r.body.decision === "allow")).toHaveLength(25);
    expect(results.filter((r) => r.body.decision === "deny").every((r) => r.body.reasons[0].code === "lease_exhausted")).toBe(true);
    expect(await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).toMatchObject({ toolCallsUsed: 25, status: "exhausted" });
    expect(await db().decision.count({ where: { leaseId: lease.id } })).toBe(300);
    expect(await db().auditEvent.count({ where: { leaseId: lease.id, action: "decision" } })).toBe(300);
    expect(await db().auditEvent.count({ where: { leaseId: lease.id, action: "lease.ended" } })).toBe(1);
  });

  it("no call racing a revoke is allowed once the revoke has returned (the cached chain is re-checked)", async () => {
    const { lease, leaseToken, admin } = await seedLease(db(), { maxToolCalls: 10_000 });
    const calls: { startedAt: number; decision: string }[] = [];
    const racers = Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 30; i++) {
        const startedAt = performance.now();
        calls.push({ startedAt, decision: (await ask(leaseToken)).decision });
      }
    });
    for (const deadline = Date.now() + 10_000; !calls.some((c) => c.decision === "allow") && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 5));
    await revokeLease(db(), admin, lease.id, "race test");
    const revokedAt = performance.now();
    await Promise.all(racers);
    expect(calls.filter((c) => c.startedAt < revokedAt).some((c) => c.decision === "allow")).toBe(true);
    const after = calls.filter((c) => c.startedAt > revokedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((c) => c.decision === "allow")).toEqual([]);
    const allows = await db().decision.count({ where: { leaseId: lease.id, outcome: "allow" } });
    expect((await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).toolCallsUsed).toBe(allows);
  });

  it("a step-up approval is used once: two concurrent uses give one allow; the long-poll wakes on the vote", async () => {
    const delegator = await seedPerson(db(), { role: "admin" });
    const agent = await seedAgent(db());
    const { leaseToken } = await issueLease(db(), delegator, {
      agentId: agent.id, purpose: "ship", environment: "staging", grants: [{ tool: "pull_request.merge", resource: { type: "repo", ids: ["clord"] } }],
      deny: [], requireApproval: [], expiresIn: 1800, maxToolCalls: 100, maxDelegationDepth: 0,
    });
    const resource = { type: "repo", id: "clord" };
    const esc = (await ask(leaseToken, "pull_request.merge", { resource })).escalationId!;
    const started = Date.now();
    const parked = listenerCount();
    const poll = fetch(`${app.url}/api/v1/escalations/${esc}?waitSeconds=30`, { headers: { authorization: `Bearer ${key}` } });
    // Vote once the long-poll is subscribed (polled, not slept).
    for (const deadline = Date.now() + 10_000; listenerCount() <= parked && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
    const approver = await seedPerson(db(), { role: "approver" });
    const { approvalId } = await castVote(db(), approver, esc, "approve", "ok");
    const woke = await poll;
    expect(woke.status).toBe(200);
    expect((await woke.json()).escalation).toMatchObject({ id: esc, status: "approved" });
    expect(Date.now() - started).toBeLessThan(10_000);
    const [a, b] = await Promise.all([ask(leaseToken, "pull_request.merge", { resource, approvalId }), ask(leaseToken, "pull_request.merge", { resource, approvalId })]);
    expect([a.decision, b.decision].sort()).toEqual(["allow", "deny"]);
    expect([a, b].find((x) => x.decision === "deny")!.reasons[0]!.code).toBe("approval_invalid");
    expect(await db().auditEvent.count({ where: { escalationId: esc, action: "escalation.consumed" } })).toBe(1);
    // Another key cannot read it (not found), and without a key the request goes to Next (the console's session).
    const other = await seedEnforcementPoint(db());
    await expectError(await fetch(`${app.url}/api/v1/escalations/${esc}`, { headers: { authorization: `Bearer ${other.key}` } }), 404, "not_found");
    expect((await fetch(`${app.url}/api/v1/escalations/${esc}`)).status).toBe(299);
  });

  it("sets x-lanyard-client-address from the socket on what it hands to Next, over any value the client sent", async () => {
    seenByFallback.length = 0;
    const res = await fetch(`${app.url}/approvals`, { headers: { "x-lanyard-client-address": "203.0.113.9" } });
    expect(res.status).toBe(299);
    expect(seenByFallback[0]!["x-lanyard-client-address"]).toBe("127.0.0.1");
    // Other methods on the hot routes are Next's too (it answers 405).
    expect((await fetch(`${app.url}/api/v1/decisions`)).status).toBe(299);
  });
});
