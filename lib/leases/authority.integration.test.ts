import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { updateAgent } from "@/lib/agents/mutations";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { createEscalation } from "@/lib/escalations/create";
import { openEscalation } from "@/lib/escalations/open";
import { castVote } from "@/lib/escalations/vote";
import { stopListening } from "@/lib/events/bus";
import { delegateLease } from "@/lib/leases/delegate";
import { issueLease } from "@/lib/leases/issue";
import { decideLeaseRequest, revokeLease } from "@/lib/leases/lifecycle";
import type { Grant, LeaseRequest } from "@/lib/leases/schemas";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";
import { ownerDb } from "@/test/owner-db";

let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>["actor"];
beforeAll(async () => {
  ep = (await seedEnforcementPoint(db())).actor;
});
afterAll(() => stopListening());

const contract = (id: string) => ({ type: "contract", id });
const read = (leaseToken: string, id: string) => decide(db(), ep, { leaseToken, tool: "contracts.read", resource: contract(id) });
const LIVE = ["active", "pending_approval"];

/** A parent lease on contract_1 only (may delegate one level), and a child of it on the same contract. */
async function parentAndChild() {
  const agent = await seedAgent(db());
  const parent = await seedLease(db(), {
    agentId: agent.id,
    grants: [{ tool: "contracts.read", resource: { type: "contract", ids: ["contract_1"] } }, { tool: "repo.read" }],
    deny: [],
    maxDelegationDepth: 1,
  });
  const child = await delegateLease(db(), ep, parent.lease.id, {
    leaseToken: parent.leaseToken,
    agentId: agent.id,
    purpose: "subagent reads one contract",
    grants: [{ tool: "contracts.read", resource: { type: "contract", ids: ["contract_1"] } }],
    expiresIn: 600,
    maxToolCalls: 50,
  });
  return { agent, parent, child };
}

describe("a lease never holds more than its ancestors or its agent's ceiling", () => {
  it("refuses a child's more_permission its parent does not grant, refuses to approve one, and denies it if forced into the database", async () => {
    const { agent, parent, child } = await parentAndChild();
    const ask = { leaseToken: child.leaseToken, kind: "more_permission" as const, tool: "contracts.read", resource: contract("contract_9999"), justification: "need another contract" };
    await expect(createEscalation(db(), ep, ask)).rejects.toMatchObject({ status: 422, message: expect.stringContaining(parent.lease.id) });
    expect(await db().escalation.count({ where: { leaseId: child.lease.id } })).toBe(0);

    // One opened before this rule existed (written straight in, as old code would have): approving it changes nothing.
    const { id } = await ownerDb().$transaction((tx) =>
      openEscalation(tx, { kind: "more_permission", lease: { ...child.lease, expiresAt: new Date(child.lease.expiresAt) }, tool: "contracts.read", resource: contract("contract_9999"), justification: "legacy", risk: "medium", actor: { type: "system", label: "test" }, at: new Date() }),
    );
    const approver = await seedPerson(db(), { role: "approver" });
    await expect(castVote(db(), approver, id, "approve", "ok")).rejects.toMatchObject({ status: 409, message: expect.stringContaining(parent.lease.id) });
    expect(await db().escalation.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "pending" });
    expect(await db().vote.count({ where: { escalationId: id } })).toBe(0);
    const row = await db().lease.findUniqueOrThrow({ where: { id: child.lease.id } });
    expect(row).toMatchObject({ version: 1, grants: child.lease.grants });

    // The database owner forces the grant into the child's row: decisions still deny, naming the parent.
    const forced: Grant[] = [{ tool: "contracts.read", resource: { type: "contract", ids: ["contract_1", "contract_9999"] } }];
    await ownerDb().lease.update({ where: { id: child.lease.id }, data: { grants: forced } });
    const d = await read(child.leaseToken, "contract_9999");
    expect(d.decision).toBe("deny");
    expect(d.reasons[0]).toMatchObject({ code: "resource_out_of_scope", message: expect.stringContaining(parent.lease.id) });
    expect((await read(child.leaseToken, "contract_1")).decision).toBe("allow");
    expect((await read(parent.leaseToken, "contract_9999")).decision).toBe("deny");

    // Nor can the forced child pass the excess on: a grandchild is checked against every ancestor.
    await ownerDb().lease.update({ where: { id: child.lease.id }, data: { maxDelegationDepth: 1 } });
    const grandchild = delegateLease(db(), ep, child.lease.id, { leaseToken: child.leaseToken, agentId: agent.id, purpose: "grandchild", grants: [{ tool: "contracts.read", resource: { type: "contract", ids: ["contract_9999"] } }], expiresIn: 300, maxToolCalls: 5 });
    await expect(grandchild).rejects.toMatchObject({ status: 422, message: expect.stringContaining(parent.lease.id) });
  });

  it("delegation respects the child agent's ceiling on budget and lifetime", async () => {
    const { parent } = await parentAndChild();
    const small = await seedAgent(db(), { ceilingTools: ["contracts.read"], ceilingMaxToolCalls: 5, ceilingMaxExpiresIn: 120 });
    const err = await delegateLease(db(), ep, parent.lease.id, { leaseToken: parent.leaseToken, agentId: small.id, purpose: "too big", grants: [{ tool: "contracts.read", resource: { type: "contract", ids: ["contract_1"] } }], expiresIn: 600, maxToolCalls: 50 }).catch((e) => e);
    expect(err).toMatchObject({ status: 422 });
    expect(err.issues.map((i: { path: unknown[] }) => i.path[0]).sort()).toEqual(["expiresIn", "maxToolCalls"]);
  });

  it("a lease request beyond the agent's new ceiling is revoked with the shrink, and approving it is then refused", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const requester = await seedPerson(db(), { role: "requester", entitled: ["pull_request.merge"] });
    const agent = await seedAgent(db());
    const request: LeaseRequest = { agentId: agent.id, purpose: "asked by a gateway", requestedBy: requester.email, environment: "staging", grants: [{ tool: "pull_request.merge" }], deny: [], requireApproval: [], expiresIn: 900, maxToolCalls: 10, maxDelegationDepth: 0 };
    const { lease } = await issueLease(db(), ep, request);
    expect(lease.status).toBe("pending_approval");
    await updateAgent(db(), admin, agent.id, { ceiling: { tools: ["repo.read"], maxExpiresIn: 3600, maxToolCalls: 100 } });
    const approver = await seedPerson(db(), { role: "approver" });
    // The shrink ends what no longer fits at once (decisions read the lease, not the ceiling), its request included.
    expect(await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).toMatchObject({ status: "revoked", approvedById: null });
    await expect(decideLeaseRequest(db(), approver, lease.id, "approve", "fine")).rejects.toMatchObject({ status: 409 });
    expect(await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).toMatchObject({ status: "revoked", approvedById: null });
  });
});

describe("races with suspension and revocation", () => {
  it("no lease issued around a suspension outlives it, even after the agent is re-activated", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const agent = await seedAgent(db());
    const request: LeaseRequest = { agentId: agent.id, purpose: "race a suspension", environment: "staging", grants: [{ tool: "repo.read" }], deny: [], requireApproval: [], expiresIn: 900, maxToolCalls: 10, maxDelegationDepth: 0 };
    // allSettled at once, so the refusals that come before we look are not unhandled rejections.
    const settled = Promise.allSettled(Array.from({ length: 40 }, () => issueLease(db(), admin, request)));
    // Suspend once the first lease is in, while the rest are still on their way.
    for (const deadline = Date.now() + 20_000; (await db().lease.count({ where: { agentId: agent.id } })) === 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 5));
    await updateAgent(db(), admin, agent.id, { status: "suspended", reason: "race test" });
    const results = await settled;
    const issued = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    expect(issued.length).toBeGreaterThan(0);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toMatchObject({ status: 422 });
    expect(await db().lease.count({ where: { agentId: agent.id, status: { in: LIVE } } })).toBe(0);

    await updateAgent(db(), admin, agent.id, { status: "active" });
    const answers = await Promise.all(issued.map((l) => decide(db(), ep, { leaseToken: l.leaseToken, tool: "repo.read" })));
    expect(answers.filter((a) => a.decision === "allow")).toEqual([]);
  });

  it("issuances for one agent share its lock: one in flight never holds up another, and thirty at once all succeed", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const agent = await seedAgent(db());
    const request: LeaseRequest = { agentId: agent.id, purpose: "many at once", environment: "staging", grants: [{ tool: "repo.read" }], deny: [], requireApproval: [], expiresIn: 900, maxToolCalls: 10, maxDelegationDepth: 0 };
    // Another issuance in flight holds the agent FOR SHARE. Issuance used to take it FOR NO KEY UPDATE
    // (and UPDATE the row inside): every issuance for an agent queued behind the one before, until under
    // load their transactions timed out.
    const holder = new pg.Client({ connectionString: inject("ownerDatabaseUrl") });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query(`SELECT 1 FROM "agents" WHERE "id" = $1 FOR SHARE`, [agent.id]);
      const issued = await Promise.race([issueLease(db(), admin, request).then(() => "issued"), new Promise((r) => setTimeout(() => r("held up"), 15_000))]);
      expect(issued).toBe("issued");
    } finally {
      await holder.query("ROLLBACK").catch(() => {});
      await holder.end();
    }
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => issueLease(db(), admin, request)));
    expect(results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    expect((await db().agent.findUniqueOrThrow({ where: { id: agent.id } })).lastLeaseAt).not.toBeNull();
  }, 60_000);

  it("no child delegated around its parent's revocation stays active", async () => {
    const agent = await seedAgent(db());
    const parent = await seedLease(db(), { agentId: agent.id, maxToolCalls: 1000, maxDelegationDepth: 1 });
    const settled = Promise.allSettled(Array.from({ length: 40 }, (_, i) =>
      delegateLease(db(), ep, parent.lease.id, { leaseToken: parent.leaseToken, agentId: agent.id, purpose: `child ${i}`, grants: [{ tool: "repo.read" }], expiresIn: 600, maxToolCalls: 5 }),
    ));
    for (const deadline = Date.now() + 20_000; (await db().lease.count({ where: { parentLeaseId: parent.lease.id } })) === 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 5));
    await revokeLease(db(), parent.admin, parent.lease.id, "race test");
    const results = await settled;
    for (const r of results) if (r.status === "rejected") expect(r.reason).toMatchObject({ status: 409 });
    expect(results.some((r) => r.status === "fulfilled")).toBe(true);
    expect(await db().lease.count({ where: { parentLeaseId: parent.lease.id, status: { in: LIVE } } })).toBe(0);
  });

  it("a child whose parent was revoked opens no escalation: 409, and nothing reaches the queue", async () => {
    const { parent, child } = await parentAndChild();
    // The state the race used to leave behind: the parent revoked, the child still marked active.
    await ownerDb().lease.update({ where: { id: parent.lease.id }, data: { status: "revoked", endedReason: "test", endedAt: new Date() } });
    const asks = [
      { kind: "step_up" as const, tool: "contracts.read", resource: contract("contract_1") },
      { kind: "more_permission" as const, tool: "repo.read" },
    ];
    for (const a of asks) {
      await expect(createEscalation(db(), ep, { leaseToken: child.leaseToken, justification: "please", ...a })).rejects.toMatchObject({ status: 409, message: expect.stringContaining(parent.lease.id) });
    }
    expect((await read(child.leaseToken, "contract_1")).reasons[0]!.code).toBe("lease_revoked");
    expect(await db().escalation.count({ where: { leaseId: child.lease.id } })).toBe(0);
  });
});
