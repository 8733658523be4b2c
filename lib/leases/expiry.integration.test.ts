import { afterAll, describe, expect, it } from "vitest";
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
    await expireLeases(db());
    const ids = leases.map((l) => l.id);
    expect(await db().lease.count({ where: { id: { in: ids }, status: "expired" } })).toBe(300);
    expect(await db().auditEvent.count({ where: { leaseId: { in: ids }, action: "lease.ended" } })).toBe(300);
    await expect.poll(() => runs.filter((r) => announced.has(r)).length, { timeout: 5_000 }).toBe(300);
  });

  it("splits a run event into NOTIFY payloads under 8000 bytes, losing no run", () => {
    const runIds = Array.from({ length: 1_234 }, () => newId("run"));
    const parts = payloads({ type: "run.event", runIds });
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThan(8000);
    expect(parts.flatMap((p) => (JSON.parse(p) as { runIds: string[] }).runIds)).toEqual(runIds);
    expect(payloads({ type: "run.event", runIds: runIds.slice(0, 3) })).toHaveLength(1);
  });
});
