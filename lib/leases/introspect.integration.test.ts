import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { POST as introspectPost } from "@/app/api/v1/leases/introspect/route";
import { db } from "@/lib/db";
import { revokeLease } from "@/lib/leases/lifecycle";
import { seedEnforcementPoint, seedLease } from "@/test/factories";

const ask = (key: string, leaseToken: string) =>
  introspectPost(new NextRequest("http://localhost/api/v1/leases/introspect", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: JSON.stringify({ leaseToken }) }), { params: Promise.resolve({}) });

describe("POST /api/v1/leases/introspect", () => {
  it("lists what a live lease can use, with scope, step-up, risk and read-only, and spends nothing", async () => {
    const ep = await seedEnforcementPoint(db(), ["decisions:write"]);
    const { lease, leaseToken, admin } = await seedLease(db(), {
      grants: [{ tool: "repo.read" }, { tool: "repo.commit", resource: { type: "branch", ids: ["agent/*"] } }, { tool: "production.deploy" }],
      deny: ["secrets.read"],
    });
    const res = await ask(ep.key, leaseToken);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ active: true, reasons: [], lease: { id: lease.id, status: "active", remainingToolCalls: 1000 } });
    expect(body.tools).toEqual([
      { tool: "repo.read", resource: null, stepUp: false, risk: "low", readOnly: true },
      { tool: "repo.commit", resource: { type: "branch", ids: ["agent/*"] }, stepUp: false, risk: expect.any(String), readOnly: false },
      { tool: "production.deploy", resource: null, stepUp: true, risk: "critical", readOnly: false },
    ]);
    expect((await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).toolCallsUsed).toBe(0);

    await revokeLease(db(), admin, lease.id, "test");
    const dead = await (await ask(ep.key, leaseToken)).json();
    expect(dead).toMatchObject({ active: false, reasons: [{ code: "lease_revoked" }], tools: [] });
  });

  it("answers a bad token as inactive (token_invalid), and needs a key with decisions:write", async () => {
    const ep = await seedEnforcementPoint(db(), ["decisions:write"]);
    expect(await (await ask(ep.key, "garbage")).json()).toMatchObject({ active: false, reasons: [{ code: "token_invalid" }], lease: null, tools: [] });
    const narrow = await seedEnforcementPoint(db(), ["connections:read"]);
    const { leaseToken } = await seedLease(db());
    expect((await ask(narrow.key, leaseToken)).status).toBe(403);
  });
});
