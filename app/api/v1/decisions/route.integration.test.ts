import { NextRequest } from "next/server";
import { beforeAll, describe, expect, it } from "vitest";
import { POST as decisionsPost } from "@/app/api/v1/decisions/route";
import { POST as leasesPost } from "@/app/api/v1/leases/route";
import { GET as agentsGet } from "@/app/api/v1/agents/route";
import { setEnforcementPointLimit } from "@/lib/api/rate-limit";
import { forgetCachedKeys } from "@/lib/auth/enforcement-point";
import { db } from "@/lib/db";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";

const ctx = { params: Promise.resolve({}) };
const call = (handler: typeof decisionsPost, url: string, init: { body?: string; headers?: Record<string, string>; method?: string }) =>
  handler(new NextRequest(`http://localhost${url}`, { method: init.method ?? "POST", body: init.body, headers: init.headers }), ctx);
const json = { "content-type": "application/json" };

let key: string;
let epId: string;
let token: string;
beforeAll(async () => {
  const ep = await seedEnforcementPoint(db());
  key = ep.key;
  epId = ep.actor.id;
  token = (await seedLease(db())).leaseToken;
});

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/application\/json/);
  const body = await res.json();
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/); // no stack traces
  return body;
}

describe("POST /api/v1/decisions over HTTP", () => {
  it("answers 200 allow with the documented body for a granted call", async () => {
    const res = await call(decisionsPost, "/api/v1/decisions", { headers: { ...json, authorization: `Bearer ${key}` }, body: JSON.stringify({ leaseToken: token, tool: "repo.read" }) });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ decision: "allow", decisionId: expect.stringMatching(/^dec_/), escalationId: null, reasons: [{ code: "granted" }], lease: { status: "active", remainingToolCalls: expect.any(Number), expiresAt: expect.any(String) } });
  });

  it("answers a deny as 200, not an error", async () => {
    const res = await call(decisionsPost, "/api/v1/decisions", { headers: { ...json, authorization: `Bearer ${key}` }, body: JSON.stringify({ leaseToken: "garbage", tool: "repo.read" }) });
    expect(res.status).toBe(200);
    expect((await res.json()).reasons[0].code).toBe("token_invalid");
  });

  it("refuses callers without a valid key: 401 in the documented shape", async () => {
    const body = JSON.stringify({ leaseToken: token, tool: "repo.read" });
    await expectError(await call(decisionsPost, "/api/v1/decisions", { headers: json, body }), 401, "unauthenticated");
    await expectError(await call(decisionsPost, "/api/v1/decisions", { headers: { ...json, authorization: "Bearer lyd_ep_forged" }, body }), 401, "unauthenticated");
    await expectError(await call(decisionsPost, "/api/v1/decisions", { headers: { ...json, authorization: `Basic ${key}` }, body }), 401, "unauthenticated");
    // A lease token alone opens no route.
    await expectError(await call(decisionsPost, "/api/v1/decisions", { headers: { ...json, authorization: `Bearer ${token}` }, body }), 401, "unauthenticated");
  });

  it("refuses a key without the decisions:write scope (403) and a revoked key (401)", async () => {
    const narrow = await seedEnforcementPoint(db(), ["leases:request"]);
    const body = JSON.stringify({ leaseToken: token, tool: "repo.read" });
    await expectError(await call(decisionsPost, "/api/v1/decisions", { headers: { ...json, authorization: `Bearer ${narrow.key}` }, body }), 403, "forbidden");
    const revoked = await seedEnforcementPoint(db());
    expect((await call(decisionsPost, "/api/v1/decisions", { headers: { ...json, authorization: `Bearer ${revoked.key}` }, body })).status).toBe(200);
    await db().enforcementPoint.update({ where: { id: revoked.actor.id }, data: { revokedAt: new Date() } });
    forgetCachedKeys();
    await expectError(await call(decisionsPost, "/api/v1/decisions", { headers: { ...json, authorization: `Bearer ${revoked.key}` }, body }), 401, "unauthenticated");
  });

  it("answers bad input with 400/413/415 and changes nothing", async () => {
    const auth = { authorization: `Bearer ${key}` };
    // Counted for this key only: other test files write decisions at the same time.
    const before = await db().decision.count({ where: { enforcementPointId: epId } });
    await expectError(await call(decisionsPost, "/api/v1/decisions", { headers: { ...auth, "content-type": "text/plain" }, body: "{}" }), 415, "unsupported_media_type");
    await expectError(await call(decisionsPost, "/api/v1/decisions", { headers: { ...json, ...auth }, body: "{not json" }), 400, "invalid_request");
    const missing = await expectError(await call(decisionsPost, "/api/v1/decisions", { headers: { ...json, ...auth }, body: JSON.stringify({ leaseToken: token }) }), 400, "invalid_request");
    expect(missing.error.issues[0].path).toEqual(["tool"]);
    await expectError(await call(decisionsPost, "/api/v1/decisions", { headers: { ...json, ...auth }, body: JSON.stringify({ leaseToken: token, tool: "Robert'); DROP TABLE" }) }), 400, "invalid_request");
    await expectError(await call(decisionsPost, "/api/v1/decisions", { headers: { ...json, ...auth }, body: JSON.stringify({ leaseToken: token, tool: "repo.read", extra: 1 }) }), 400, "invalid_request");
    await expectError(await call(decisionsPost, "/api/v1/decisions", { headers: { ...json, ...auth }, body: JSON.stringify({ leaseToken: "x".repeat(70_000), tool: "repo.read" }) }), 413, "payload_too_large");
    expect(await db().decision.count({ where: { enforcementPointId: epId } })).toBe(before);
  });

  it("an enforcement point's lease request starts pending_approval, its token works at once, and decisions answer lease_pending", async () => {
    const agent = await seedAgent(db());
    const maya = await seedPerson(db()); // an enforcement point may name only an active person
    const res = await call(leasesPost, "/api/v1/leases", {
      headers: { ...json, authorization: `Bearer ${key}` },
      body: JSON.stringify({ agentId: agent.id, purpose: "update dependency and open PR", requestedBy: maya.email, environment: "staging", grants: [{ tool: "repo.read" }], expiresIn: 600, maxToolCalls: 5 }),
    });
    expect(res.status).toBe(201);
    const { lease, leaseToken } = await res.json();
    expect(lease.status).toBe("pending_approval");
    expect(await db().escalation.count({ where: { leaseId: lease.id, kind: "lease_request", status: "pending" } })).toBe(1);
    const d = await call(decisionsPost, "/api/v1/decisions", { headers: { ...json, authorization: `Bearer ${key}` }, body: JSON.stringify({ leaseToken, tool: "repo.read" }) });
    expect((await d.json()).reasons[0].code).toBe("lease_pending");
  });

  it("refuses an enforcement-point lease request beyond the agent's ceiling with 422 and one issue per problem", async () => {
    const agent = await seedAgent(db(), { ceilingTools: ["repo.read"], ceilingMaxExpiresIn: 600, ceilingMaxToolCalls: 10 });
    const maya = await seedPerson(db());
    const res = await call(leasesPost, "/api/v1/leases", {
      headers: { ...json, authorization: `Bearer ${key}` },
      body: JSON.stringify({ agentId: agent.id, purpose: "too much", requestedBy: maya.email, environment: "qa", grants: [{ tool: "production.deploy" }], expiresIn: 6000, maxToolCalls: 100 }),
    });
    const body = await expectError(res, 422, "unprocessable");
    expect(body.error.issues.map((i: { path: string[] }) => i.path[0]).sort()).toEqual(["environment", "expiresIn", "grants", "maxToolCalls"]);
  });

  it("an enforcement-point key opens no console route", async () => {
    const res = await agentsGet(new NextRequest("http://localhost/api/v1/agents", { headers: { authorization: `Bearer ${key}` } }), ctx);
    await expectError(res, 401, "unauthenticated");
  });

  it("answers 429 with Retry-After once a key exceeds its rate, records nothing for the refused call, and leaves other keys alone", async () => {
    const limited = await seedEnforcementPoint(db());
    const other = await seedEnforcementPoint(db());
    const { leaseToken, lease } = await seedLease(db());
    const body = JSON.stringify({ leaseToken, tool: "repo.read" });
    const ask = (k: string) => call(decisionsPost, "/api/v1/decisions", { headers: { ...json, authorization: `Bearer ${k}` }, body });
    setEnforcementPointLimit({ rate: 0.01, burst: 2 }); // a token back only after 100 s: however slow the machine, the third call is over
    try {
      expect((await ask(limited.key)).status).toBe(200);
      expect((await ask(limited.key)).status).toBe(200);
      const before = await db().decision.count({ where: { leaseId: lease.id } });
      const refused = await ask(limited.key);
      await expectError(refused, 429, "rate_limited");
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await db().decision.count({ where: { leaseId: lease.id } })).toBe(before);
      expect((await ask(other.key)).status).toBe(200);
    } finally {
      setEnforcementPointLimit();
    }
  });
});
