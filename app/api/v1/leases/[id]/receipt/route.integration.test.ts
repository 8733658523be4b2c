import { NextRequest } from "next/server";
import { beforeAll, describe, expect, it } from "vitest";
import { GET as receiptGet } from "@/app/api/v1/leases/[id]/receipt/route";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { delegateLease } from "@/lib/leases/delegate";
import { issueLease } from "@/lib/leases/issue";
import { completeLease, revokeLease } from "@/lib/leases/lifecycle";
import { readReceipt } from "@/lib/receipts/receipt";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";

type Key = Awaited<ReturnType<typeof seedEnforcementPoint>>;
let a: Key;
let b: Key;
beforeAll(async () => {
  a = await seedEnforcementPoint(db());
  b = await seedEnforcementPoint(db());
});

const read = (k: Key, leaseId: string, format = "json") =>
  receiptGet(new NextRequest(`http://localhost/api/v1/leases/${leaseId}/receipt?format=${format}`, { headers: { authorization: `Bearer ${k.key}` } }), { params: Promise.resolve({ id: leaseId }) });

async function expectNotFound(res: Response) {
  expect(res.status).toBe(404);
  expect((await res.json()).error.code).toBe("not_found");
}

describe("GET /api/v1/leases/{id}/receipt with an enforcement-point key", () => {
  it("a key reads the receipt of a lease it decided for and completed; another key gets 404, in either format", async () => {
    const { lease, leaseToken } = await seedLease(db());
    expect((await decide(db(), a.actor, { leaseToken, tool: "repo.read" })).decision).toBe("allow");
    await completeLease(db(), a.actor, lease.id, leaseToken);
    const ok = await read(a, lease.id);
    expect(ok.status).toBe(200);
    expect((await ok.json()).receipt).toMatchObject({ leaseId: lease.id, status: "completed" });
    expect((await read(a, lease.id, "jws")).status).toBe(200);
    await expectNotFound(await read(b, lease.id));
    await expectNotFound(await read(b, lease.id, "jws"));
  });

  it("decided for only (the lease ended otherwise): readable by that key alone", async () => {
    const { lease, leaseToken, admin } = await seedLease(db());
    await decide(db(), a.actor, { leaseToken, tool: "secrets.read" }); // a deny is a decision too
    await revokeLease(db(), admin, lease.id, "done with it");
    expect((await read(a, lease.id)).status).toBe(200);
    await expectNotFound(await read(b, lease.id));
  });

  it("requested, or delegated, by a key: readable by that key; completed by a key that never decided: readable by it", async () => {
    const person = await seedPerson(db(), { role: "admin" });
    const agent = await seedAgent(db());
    const requested = await issueLease(db(), b.actor, { agentId: agent.id, purpose: "requested by b", requestedBy: person.email, environment: "staging", grants: [{ tool: "repo.read" }], deny: [], requireApproval: [], expiresIn: 600, maxToolCalls: 5, maxDelegationDepth: 0 });
    await revokeLease(db(), person, requested.lease.id, "not needed");
    expect((await read(b, requested.lease.id)).status).toBe(200);
    await expectNotFound(await read(a, requested.lease.id));

    const parent = await seedLease(db(), { maxDelegationDepth: 1 });
    const child = await delegateLease(db(), b.actor, parent.lease.id, { leaseToken: parent.leaseToken, agentId: (await seedAgent(db())).id, purpose: "subagent", grants: [{ tool: "repo.read" }], expiresIn: 300, maxToolCalls: 5 });
    await completeLease(db(), a.actor, parent.lease.id, parent.leaseToken); // ends the child too
    expect((await read(b, child.lease.id)).status).toBe(200); // b delegated it
    expect((await read(a, parent.lease.id)).status).toBe(200); // a completed it
    await expectNotFound(await read(b, parent.lease.id));
  });

  it("a foreign or unknown lease is 404, never 409, even while it is still live (no existence leak)", async () => {
    const { lease } = await seedLease(db());
    await expectNotFound(await read(a, lease.id));
    await expectNotFound(await read(a, "lse_doesnotexist"));
  });

  it("people keep reading every receipt", async () => {
    const { lease, leaseToken } = await seedLease(db());
    await completeLease(db(), a.actor, lease.id, leaseToken);
    const auditor = await seedPerson(db(), { role: "auditor" });
    expect((await readReceipt(db(), auditor, lease.id)).receipt.leaseId).toBe(lease.id);
  });
});
