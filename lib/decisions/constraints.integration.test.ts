// Constraints on grants, enforced at decision time (issue 15): data classes, tenant, distinct records
// per lease (counted atomically, on both decision paths), the environment of a call that names none,
// and read-only by default in production. Every lease here is this file's own.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { createHotPath } from "@/lib/decisions/hot-path";
import type { DecisionRequest } from "@/lib/decisions/schemas";
import { listQueue } from "@/lib/escalations/queue";
import { stopListening } from "@/lib/events/bus";
import { revokeLease } from "@/lib/leases/lifecycle";
import { ensureReceipt } from "@/lib/receipts/receipt";
import { delegateLease } from "@/lib/leases/delegate";
import type { Grant } from "@/lib/leases/schemas";
import { forgetToolCatalog } from "@/lib/tools/catalog";
import { seedCatalog } from "@/prisma/seed";
import { createHotPool } from "@/server/index";
import { seedAgent, seedEnforcementPoint, seedLease } from "@/test/factories";

let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>["actor"];
beforeAll(async () => {
  await seedCatalog(db());
  forgetToolCatalog();
  ep = (await seedEnforcementPoint(db())).actor;
});
afterAll(() => stopListening());

const contract = (id: string, attributes?: Record<string, string | number>) => ({ type: "contract", id, ...(attributes ? { attributes } : {}) });
const ask = (leaseToken: string, tool: string, extra: Partial<DecisionRequest> = {}) => decide(db(), ep, { leaseToken, tool, ...extra });
const reads = (constraints: Grant["constraints"]): Grant[] => [{ tool: "contracts.read", constraints }];

describe("grant constraints at decision time", () => {
  it("dataClasses: the issue's { dataClass: secret, records: 100000 } call is denied; a class in the set is allowed; none is judged secret", async () => {
    const { leaseToken, lease } = await seedLease(db(), { grants: reads({ dataClasses: ["public", "internal"] }) });
    const secret = await ask(leaseToken, "contracts.read", { resource: contract("c-1", { dataClass: "secret", records: 100000 }) });
    expect(secret).toMatchObject({ decision: "deny", reasons: [{ code: "constraint_violated", message: expect.stringContaining("data class secret") }] });
    const none = await ask(leaseToken, "contracts.read", { resource: contract("c-1") });
    expect(none).toMatchObject({ decision: "deny", reasons: [{ code: "constraint_violated", message: expect.stringContaining("most sensitive") }] });
    expect((await ask(leaseToken, "contracts.read", { resource: contract("c-1", { dataClass: "internal" }) })).decision).toBe("allow");
    // A deny costs no budget, and is recorded with its audit event as every decision is.
    expect((await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).toolCallsUsed).toBe(1);
    expect(await db().auditEvent.count({ where: { decisionId: secret.decisionId, action: "decision", outcome: "deny" } })).toBe(1);
    // A set with the top class allows a call that names none.
    const top = await seedLease(db(), { grants: reads({ dataClasses: ["secret"] }) });
    expect((await ask(top.leaseToken, "contracts.read", { resource: contract("c-1") })).decision).toBe("allow");
  });

  it("tenant: another tenant or none is denied, the grant's tenant allowed", async () => {
    const { leaseToken } = await seedLease(db(), { grants: reads({ tenant: "acme" }) });
    expect(await ask(leaseToken, "contracts.read", { resource: contract("c-1", { tenant: "globex" }) })).toMatchObject({ decision: "deny", reasons: [{ code: "constraint_violated", message: expect.stringContaining("tenant acme, not globex") }] });
    expect((await ask(leaseToken, "contracts.read", { resource: contract("c-1") })).reasons[0]!.code).toBe("constraint_violated");
    expect((await ask(leaseToken, "contracts.read", { resource: contract("c-1", { tenant: "acme" }) })).decision).toBe("allow");
  });

  it("environment: another one is environment_mismatch; none is judged in the lease's (a production write escalates)", async () => {
    const { leaseToken } = await seedLease(db(), { environment: "production", grants: [{ tool: "repo.read" }, { tool: "repo.commit" }] });
    expect(await ask(leaseToken, "repo.read", { context: { environment: "staging" } })).toMatchObject({ decision: "deny", reasons: [{ code: "environment_mismatch" }] });
    expect((await ask(leaseToken, "repo.read")).decision).toBe("allow");
    const write = await ask(leaseToken, "repo.commit", { resource: { type: "branch", id: "agent/x" } });
    expect(write).toMatchObject({ decision: "escalate", reasons: [{ code: "approval_required", message: expect.stringContaining("without an explicit production grant") }] });
    expect(write.escalationId).toMatch(/^esc_/);
  });

  it("read-only in production: a write needs an explicit production grant, which only a production lease may carry", async () => {
    const prod = await seedLease(db(), { environment: "production", grants: [{ tool: "repo.commit", production: true }] });
    expect((await ask(prod.leaseToken, "repo.commit")).decision).toBe("allow");
    // The same write in staging needs no production grant.
    const staging = await seedLease(db(), { grants: [{ tool: "repo.commit" }] });
    expect((await ask(staging.leaseToken, "repo.commit")).decision).toBe("allow");
    await expect(seedLease(db(), { environment: "staging", grants: [{ tool: "repo.commit", production: true }] })).rejects.toMatchObject({
      code: "unprocessable",
      issues: [{ path: ["grants", 0, "production"], message: expect.stringContaining("needs a production lease") }],
    });
  });

  it("delegation attenuates constraints: a looser or missing limit, another tenant, a new class or a production grant is refused", async () => {
    const parentGrants: Grant[] = [{ tool: "contracts.read", constraints: { maxRecords: 10, dataClasses: ["public", "internal"], tenant: "acme" } }, { tool: "repo.commit" }];
    const parent = await seedLease(db(), { environment: "production", grants: parentGrants, maxDelegationDepth: 1 });
    const child = await seedAgent(db());
    const delegate = (grants: Grant[]) => delegateLease(db(), ep, parent.lease.id, { leaseToken: parent.leaseToken, agentId: child.id, purpose: "sub task", grants, expiresIn: 60, maxToolCalls: 5 });
    const tight = { maxRecords: 10, dataClasses: ["public" as const], tenant: "acme" };
    for (const [grant, says] of [
      [{ tool: "contracts.read", constraints: { ...tight, maxRecords: 11 } }, "maxRecords 11 exceeds the parent's 10"],
      [{ tool: "contracts.read", constraints: { dataClasses: ["public"], tenant: "acme" } }, "maxRecords unlimited"],
      [{ tool: "contracts.read", constraints: { ...tight, dataClasses: ["public", "secret"] } }, "go beyond the parent's"],
      [{ tool: "contracts.read", constraints: { ...tight, tenant: "globex" } }, "tenant globex is not the parent's acme"],
      [{ tool: "repo.commit", production: true }, "a production grant where the parent's is not one"],
    ] as [Grant, string][]) {
      await expect(delegate([grant]), says).rejects.toMatchObject({ code: "unprocessable", issues: [{ path: ["grants", 0, "constraints"], message: expect.stringContaining(says) }] });
    }
    const ok = await delegate([{ tool: "contracts.read", constraints: { ...tight, maxRecords: 3 } }]);
    expect(ok.lease.grants).toEqual([{ tool: "contracts.read", constraints: { ...tight, maxRecords: 3 } }]);
  });
});

describe("maxRecords: distinct resources per lease, counted atomically", () => {
  const LIMIT = 25;
  const CALLS = 200;

  async function burst(decideOne: (req: DecisionRequest) => Promise<{ decision: string; reasons: { code: string }[] }>, leaseToken: string) {
    const answers = await Promise.all(Array.from({ length: CALLS }, (_, i) => decideOne({ leaseToken, tool: "contracts.read", resource: contract(`c-${i}`) })));
    const allowed = answers.filter((a) => a.decision === "allow").length;
    const over = answers.filter((a) => a.decision === "deny" && a.reasons[0]?.code === "constraint_violated").length;
    return { allowed, over };
  }

  it(`${CALLS} concurrent calls on distinct resources allow exactly the limit (decide); one already counted costs nothing`, async () => {
    const { lease, leaseToken } = await seedLease(db(), { grants: reads({ maxRecords: LIMIT }) });
    expect(await burst((r) => decide(db(), ep, r), leaseToken)).toEqual({ allowed: LIMIT, over: CALLS - LIMIT });
    const counted = await db().leaseRecord.findMany({ where: { leaseId: lease.id } });
    expect(counted).toHaveLength(LIMIT);
    expect((await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).toolCallsUsed).toBe(LIMIT);
    // A resource it already touched is allowed again; a new one is not.
    const again = counted[0]!.key.replace(/^contract:/, "");
    expect((await ask(leaseToken, "contracts.read", { resource: contract(again) })).decision).toBe("allow");
    expect(await ask(leaseToken, "contracts.read", { resource: contract("c-new") })).toMatchObject({ decision: "deny", reasons: [{ code: "constraint_violated", message: expect.stringContaining(`${LIMIT} of at most ${LIMIT} records`) }] });
  });

  it(`${CALLS} concurrent calls through the hot path allow exactly the limit; an unconstrained call counts no record`, async () => {
    const { lease, leaseToken } = await seedLease(db(), { grants: [...reads({ maxRecords: LIMIT }), { tool: "repo.read" }] });
    const pool = createHotPool();
    const hot = createHotPath({ pool, db: db() });
    try {
      expect(await burst((r) => hot.decide(ep, r), leaseToken)).toEqual({ allowed: LIMIT, over: CALLS - LIMIT });
      expect(await db().leaseRecord.count({ where: { leaseId: lease.id } })).toBe(LIMIT);
      expect((await hot.decide(ep, { leaseToken, tool: "repo.read", resource: { type: "repo", id: "r-1" } })).decision).toBe("allow");
      expect(await db().leaseRecord.count({ where: { leaseId: lease.id } })).toBe(LIMIT);
    } finally {
      await pool.end();
    }
  });

  it("an ancestor's limit counts the records every descendant touches", async () => {
    const parent = await seedLease(db(), { grants: reads({ maxRecords: 3 }), maxDelegationDepth: 1 });
    const agent = await seedAgent(db());
    const child = () => delegateLease(db(), ep, parent.lease.id, { leaseToken: parent.leaseToken, agentId: agent.id, purpose: "sub task", grants: reads({ maxRecords: 3 }), expiresIn: 60, maxToolCalls: 10 });
    const [a, b] = [await child(), await child()];
    expect((await ask(a.leaseToken, "contracts.read", { resource: contract("x-1") })).decision).toBe("allow");
    expect((await ask(a.leaseToken, "contracts.read", { resource: contract("x-2") })).decision).toBe("allow");
    expect((await ask(b.leaseToken, "contracts.read", { resource: contract("x-1") })).decision).toBe("allow"); // the parent counted x-1 already
    expect((await ask(b.leaseToken, "contracts.read", { resource: contract("x-3") })).decision).toBe("allow");
    expect(await ask(b.leaseToken, "contracts.read", { resource: contract("x-4") })).toMatchObject({ decision: "deny", reasons: [{ code: "constraint_violated", message: expect.stringContaining(`ancestor lease ${parent.lease.id}`) }] });
  });
});

describe("what people see of constraints", () => {
  it("the approval prompt's item and the receipt show each constraint and the records used of the limit", async () => {
    const grants: Grant[] = [{ tool: "contracts.read", constraints: { maxRecords: 5, dataClasses: ["public", "internal"] } }, { tool: "production.deploy" }];
    const { lease, leaseToken, admin } = await seedLease(db(), { grants });
    for (const id of ["k-1", "k-2", "k-1"]) expect((await ask(leaseToken, "contracts.read", { resource: contract(id, { dataClass: "public" }) })).decision).toBe("allow");
    const step = await ask(leaseToken, "production.deploy");
    const item = (await listQueue(db(), { status: "pending", agentId: lease.agentId, limit: 10 })).find((i) => i.id === step.escalationId);
    expect(item?.lease).toMatchObject({ recordsUsed: 2, grants });
    await revokeLease(db(), admin, lease.id, "done");
    const { receipt } = await ensureReceipt(db(), lease.id);
    expect(receipt.constraints).toEqual([{ tool: "contracts.read", resource: null, production: false, maxRecords: 5, dataClasses: ["public", "internal"], recordsUsed: 2 }]);
  });
});
