import { afterAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { expireEscalation } from "@/lib/escalations/expire";
import { stopListening } from "@/lib/events/bus";
import { issueLease } from "@/lib/leases/issue";
import { updatePerson } from "@/lib/people/people";
import { seedAgent, seedEnforcementPoint, seedPerson } from "@/test/factories";
import { ownerDb } from "@/test/owner-db";

afterAll(() => stopListening());

const leaseInput = (agentId: string) => ({
  agentId,
  purpose: "expiry vs revocation",
  environment: "staging",
  grants: [{ tool: "repo.read" }],
  deny: [],
  requireApproval: [],
  expiresIn: 600,
  maxToolCalls: 10,
  maxDelegationDepth: 0,
});

/** The backends waiting for a lock that `pid` holds. */
const blockedBy = async (pid: number) =>
  (await ownerDb().$queryRaw<{ pid: number }[]>`SELECT "pid" FROM pg_stat_activity WHERE ${pid}::integer = ANY(pg_blocking_pids("pid"))`).map((r) => r.pid);

describe("escalation expiry and revocation take their locks in one order", () => {
  it("expiring a lease request while its lease is being revoked neither deadlocks nor fails either side", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const d = await seedPerson(db(), { role: "admin" });
    const { actor: ep } = await seedEnforcementPoint(db());
    // D's request waits for approval; its window has passed (moved for this escalation only).
    const requested = await issueLease(db(), ep, { ...leaseInput((await seedAgent(db())).id), requestedBy: d.email });
    const esc = await db().escalation.findFirstOrThrow({ where: { leaseId: requested.lease.id, kind: "lease_request" } });
    await db().escalation.update({ where: { id: esc.id }, data: { expiresAt: new Date(Date.now() - 1_000) } });
    // An active lease of D's that sorts after the request: the disable locks D's leases in id order, so
    // holding this one stops it right after it has locked the request's lease, before the escalations.
    let later;
    do later = await issueLease(db(), d, leaseInput((await seedAgent(db())).id));
    while (later.lease.id < requested.lease.id);

    let release!: () => void;
    const gateOpen = new Promise<void>((r) => (release = r));
    let gatePid = 0;
    const gate = db().$transaction(
      async (tx) => {
        gatePid = (await tx.$queryRaw<{ pid: number }[]>`SELECT pg_backend_pid() AS "pid"`)[0]!.pid;
        await tx.$queryRaw`SELECT "id" FROM "leases" WHERE "id" = ${later.lease.id} FOR SHARE`;
        await gateOpen;
      },
      { timeout: 30_000 },
    );
    await expect.poll(() => gatePid, { timeout: 10_000, interval: 5 }).toBeGreaterThan(0);

    const disable = updatePerson(db(), admin, d.id, { status: "disabled" }).then(
      () => null,
      (err: unknown) => err,
    );
    let disablePid = 0;
    await expect.poll(async () => (disablePid = (await blockedBy(gatePid))[0] ?? 0), { timeout: 10_000, interval: 10 }).toBeGreaterThan(0);
    // The expiry job reaches this escalation now, while the disable holds the request's lease.
    const expiry = expireEscalation(db(), esc.id).then(
      (r) => r,
      (err: unknown) => err,
    );
    await expect.poll(() => blockedBy(disablePid), { timeout: 10_000, interval: 10 }).toHaveLength(1);
    release();
    await gate;

    expect(await disable).toBeNull();
    expect(await expiry).toBe(false); // the disable cancelled it first: nothing left to expire
    expect(await db().lease.findUniqueOrThrow({ where: { id: requested.lease.id } })).toMatchObject({ status: "revoked", endedReason: "delegator_inactive" });
    expect(await db().escalation.findUniqueOrThrow({ where: { id: esc.id } })).toMatchObject({ status: "cancelled" });
  }, 30_000);

  it("expires a lease request whose window has passed, and denies its lease", async () => {
    const { actor: ep } = await seedEnforcementPoint(db());
    const d = await seedPerson(db(), { role: "requester" });
    const requested = await issueLease(db(), ep, { ...leaseInput((await seedAgent(db())).id), requestedBy: d.email });
    const esc = await db().escalation.findFirstOrThrow({ where: { leaseId: requested.lease.id, kind: "lease_request" } });
    expect(await expireEscalation(db(), esc.id)).toBe(false); // not yet
    await db().escalation.update({ where: { id: esc.id }, data: { expiresAt: new Date(Date.now() - 1_000) } });
    expect(await expireEscalation(db(), esc.id)).toBe(true);
    expect(await db().escalation.findUniqueOrThrow({ where: { id: esc.id } })).toMatchObject({ status: "expired" });
    expect(await db().lease.findUniqueOrThrow({ where: { id: requested.lease.id } })).toMatchObject({ status: "denied", endedReason: "request expired unanswered" });
  });
});
