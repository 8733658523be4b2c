import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { payloads, subscribe } from "@/lib/events/bus";
import { db } from "@/lib/db";
import { newId } from "@/lib/ids";
import { expireLeases } from "@/lib/leases/lifecycle";
import { seedAgent } from "@/test/factories";

let unsubscribe: (() => void) | undefined;
afterAll(() => unsubscribe?.());

describe("lease expiry at scale", () => {
  it("expires hundreds of leases of different runs at once (after downtime) and announces every run", async () => {
    const agent = await seedAgent(db());
    const runs = Array.from({ length: 300 }, () => newId("run"));
    await db().run.createMany({ data: runs.map((id) => ({ id, agentId: agent.id, purpose: "expiry at scale" })) });
    const past = new Date(Date.now() - 60_000);
    const leases = runs.map((runId) => ({
      id: newId("lse"), runId, agentId: agent.id, requestedBy: "test@example.com", issuedByType: "user", issuedById: "usr_test",
      purpose: "expiry at scale", environment: "staging", grants: [{ tool: "repo.read" }], status: "active", expiresAt: past, maxToolCalls: 10,
    }));
    await db().lease.createMany({ data: leases });
    const announced = new Set<string>();
    unsubscribe = await subscribe((e) => {
      if (e.type === "run.event") for (const id of e.runIds) announced.add(id);
    });

    // One run.event naming 300 runs would be ~9 KB, over NOTIFY's 8000-byte limit, and used to fail the whole sweep.
    // Another test file's sweep may take some of them first; either way every one must end, announced.
    // A sweep skips the leases another sweep holds, so those may commit a moment after ours returns.
    await expireLeases(db());
    const ids = leases.map((l) => l.id);
    await expect.poll(() => db().lease.count({ where: { id: { in: ids }, status: "expired" } }), { timeout: 10_000 }).toBe(300);
    await expect.poll(() => db().auditEvent.count({ where: { leaseId: { in: ids }, action: "lease.ended" } }), { timeout: 10_000 }).toBe(300);
    await expect.poll(() => runs.filter((r) => announced.has(r)).length, { timeout: 5_000 }).toBe(300);
  });

  it("skips a lease another transaction holds instead of waiting for it (no lock-order deadlock with a revoke), and expires it at the next sweep", async () => {
    const agent = await seedAgent(db());
    const runId = newId("run");
    await db().run.create({ data: { id: runId, agentId: agent.id, purpose: "expiry skips locked" } });
    const id = newId("lse");
    await db().lease.create({
      data: { id, runId, agentId: agent.id, requestedBy: "test@example.com", issuedByType: "user", issuedById: "usr_test", purpose: "expiry skips locked", environment: "staging", grants: [{ tool: "repo.read" }], status: "active", expiresAt: new Date(Date.now() - 60_000), maxToolCalls: 10 },
    });
    const holder = new pg.Client({ connectionString: inject("ownerDatabaseUrl") });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query(`SELECT 1 FROM "leases" WHERE "id" = $1 FOR UPDATE`, [id]);
      // Without SKIP LOCKED this sweep would wait for the holder (and the test time out).
      await expireLeases(db());
      expect((await db().lease.findUniqueOrThrow({ where: { id } })).status).toBe("active");
      await holder.query("ROLLBACK");
    } finally {
      await holder.end();
    }
    await expireLeases(db());
    await expect.poll(async () => (await db().lease.findUniqueOrThrow({ where: { id } })).status, { timeout: 10_000 }).toBe("expired");
  }, 30_000);

  it("splits a run event into NOTIFY payloads under 8000 bytes, losing no run", () => {
    const runIds = Array.from({ length: 1_234 }, () => newId("run"));
    const parts = payloads({ type: "run.event", runIds });
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThan(8000);
    expect(parts.flatMap((p) => (JSON.parse(p) as { runIds: string[] }).runIds)).toEqual(runIds);
    expect(payloads({ type: "run.event", runIds: runIds.slice(0, 3) })).toHaveLength(1);
  });
});
