// POST /api/v1/decisions/{id}/outcome: on the hot-path server over real HTTP, and through Next's route handler.
import type { AddressInfo } from "node:net";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as outcomePost } from "@/app/api/v1/decisions/[id]/outcome/route";
import { explainDecision } from "@/lib/audit/explain";
import { db } from "@/lib/db";
import { stopListening } from "@/lib/events/bus";
import { completeLease } from "@/lib/leases/lifecycle";
import { ensureReceipt, writeMissingReceipts } from "@/lib/receipts/receipt";
import { timelineSince } from "@/lib/runs/timeline";
import { createLanyardServer } from "@/server/index";
import { seedEnforcementPoint, seedLease } from "@/test/factories";

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

const json = (k = key) => ({ "content-type": "application/json", authorization: `Bearer ${k}` });
const decide = async (leaseToken: string, tool = "repo.read") => {
  const res = await fetch(`${url}/api/v1/decisions`, { method: "POST", headers: json(), body: JSON.stringify({ leaseToken, tool, arguments: { path: "README.md" } }) });
  return (await res.json()) as { decision: string; decisionId: string };
};
const report = (decisionId: string, body: unknown, k = key) => fetch(`${url}/api/v1/decisions/${decisionId}/outcome`, { method: "POST", headers: json(k), body: JSON.stringify(body) });
const digest = "a".repeat(64);

describe("decision outcomes", () => {
  it("the key that asked reports an allow's outcome once (201), audited as decision.outcome, in the timeline, explain and the receipt", async () => {
    const { lease, leaseToken } = await seedLease(db());
    const allow = await decide(leaseToken);
    expect(allow.decision).toBe("allow");
    const res = await report(allow.decisionId, { status: "ok", resultDigest: digest, durationMs: 12.5, summary: "read 3 lines" });
    expect(res.status).toBe(201);
    expect((await res.json()).outcome).toMatchObject({ decisionId: allow.decisionId, status: "ok", resultDigest: digest, durationMs: 12.5, summary: "read 3 lines", at: expect.any(String) });
    const again = await report(allow.decisionId, { status: "error" });
    expect(again.status).toBe(409);
    expect((await again.json()).error.code).toBe("conflict");

    const events = await db().auditEvent.findMany({ where: { decisionId: allow.decisionId, action: "decision.outcome" } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorType: "enforcement_point", actorId: ep.id, subjectType: "decision", subjectId: allow.decisionId, leaseId: lease.id, runId: lease.runId, tool: "repo.read", outcome: "ok", payload: { status: "ok", resultDigest: digest, durationMs: 12.5, summary: "read 3 lines" } });
    const timeline = await timelineSince(db(), [lease.runId], 0n);
    expect(timeline.map((e) => e.action)).toContain("decision.outcome");
    expect((await explainDecision(db(), allow.decisionId)).callOutcome).toMatchObject({ status: "ok", resultDigest: digest, durationMs: 12.5, summary: "read 3 lines" });

    // Through Next's route handler too (the same lib function): an error outcome of another allow.
    const second = await decide(leaseToken);
    const viaNext = await outcomePost(new NextRequest(`http://localhost/api/v1/decisions/${second.decisionId}/outcome`, { method: "POST", headers: json(), body: JSON.stringify({ status: "error", summary: "upstream timed out" }) }), { params: Promise.resolve({ id: second.decisionId }) });
    expect(viaNext.status).toBe(201);
    const denied = await decide(leaseToken, "secrets.read");

    const { receipt } = (await completeLease(db(), ep, lease.id, leaseToken)) as unknown as { receipt: { toolCalls: { decision: string; outcome: unknown }[] } };
    expect(receipt.toolCalls.map((c) => [c.decision, (c.outcome as { status?: string } | null)?.status ?? null])).toEqual([["allow", "ok"], ["allow", "error"], ["deny", null]]);
    expect(receipt.toolCalls[0]!.outcome).toMatchObject({ resultDigest: digest, durationMs: 12.5, summary: "read 3 lines" });
    expect(denied.decision).toBe("deny");
  });

  it("refuses: after a deny or an escalate 409, another key's decision 403, an unknown one 404, bad bodies 400 — and records nothing", async () => {
    const { lease, leaseToken } = await seedLease(db());
    const deny = await decide(leaseToken, "secrets.read");
    const escalate = await decide(leaseToken, "production.deploy");
    expect([deny.decision, escalate.decision]).toEqual(["deny", "escalate"]);
    for (const d of [deny, escalate]) {
      const res = await report(d.decisionId, { status: "ok" });
      expect(res.status).toBe(409);
    }
    const allow = await decide(leaseToken);
    const other = await seedEnforcementPoint(db());
    expect((await report(allow.decisionId, { status: "ok" }, other.key)).status).toBe(403);
    const narrow = await seedEnforcementPoint(db(), ["leases:request"]);
    expect((await report(allow.decisionId, { status: "ok" }, narrow.key)).status).toBe(403);
    expect((await report("dec_doesnotexist", { status: "ok" })).status).toBe(404);
    expect((await fetch(`${url}/api/v1/decisions/${allow.decisionId}/outcome`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status).toBe(401);
    for (const bad of [{}, { status: "maybe" }, { status: "ok", resultDigest: "XYZ" }, { status: "ok", durationMs: -1 }, { status: "ok", summary: "s".repeat(501) }, { status: "ok", extra: 1 }, { status: "ok", summary: "a\u0000b" }]) {
      const res = await report(allow.decisionId, bad);
      expect(res.status).toBe(400);
      expect((await res.json()).error.code).toBe("invalid_request");
    }
    expect((await report("dec_%00", { status: "ok" })).status).toBe(400);
    expect(await db().decisionOutcome.count({ where: { decision: { leaseId: lease.id } } })).toBe(0);
    expect(await db().auditEvent.count({ where: { leaseId: lease.id, action: "decision.outcome" } })).toBe(0);
  });

  it("10 concurrent reports of one outcome: one 201, nine 409, one audit event", async () => {
    const { leaseToken } = await seedLease(db());
    const allow = await decide(leaseToken);
    const statuses = await Promise.all(Array.from({ length: 10 }, (_, i) => report(allow.decisionId, { status: i % 2 ? "ok" : "error", durationMs: i }).then((r) => r.status)));
    expect(statuses.sort()).toEqual([201, ...Array(9).fill(409)]);
    expect(await db().auditEvent.count({ where: { decisionId: allow.decisionId, action: "decision.outcome" } })).toBe(1);
    expect(await db().decisionOutcome.count({ where: { decisionId: allow.decisionId } })).toBe(1);
  });

  it("the receipts job waits for the outcome of the allow that exhausted a lease, then its receipt says what that call did", async () => {
    const { lease, leaseToken } = await seedLease(db(), { maxToolCalls: 1 });
    const allow = await decide(leaseToken);
    expect(allow.decision).toBe("allow");
    expect((await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).status).toBe("exhausted");
    // The sweep, run over this lease only (other files' leases are theirs).
    expect(await writeMissingReceipts(db(), 50, [lease.id])).toBe(0);
    expect(await db().receipt.count({ where: { leaseId: lease.id } })).toBe(0);
    expect((await report(allow.decisionId, { status: "ok", resultDigest: digest })).status).toBe(201);
    expect(await writeMissingReceipts(db(), 50, [lease.id])).toBe(1);
    const { receipt } = await ensureReceipt(db(), lease.id);
    expect(receipt.toolCalls).toEqual([expect.objectContaining({ decision: "allow", outcome: expect.objectContaining({ status: "ok", resultDigest: digest }) })]);
    expect(await db().receipt.count({ where: { leaseId: lease.id } })).toBe(1);
  });
});
