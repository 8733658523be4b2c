import { describe, expect, it } from "vitest";
import { createAgent, updateAgent } from "@/lib/agents/mutations";
import { getAgent, listAgents } from "@/lib/agents/queries";
import { toErrorResponse } from "@/lib/api/error-response";
import { advanceClock, resetClock } from "@/lib/clock";
import { db } from "@/lib/db";
import { updatePerson } from "@/lib/people/people";
import { seedAgent, seedPerson } from "@/test/factories";
import { seedCatalog } from "@/prisma/seed";

const input = (ownerId: string, name: string) => ({
  name,
  description: "test agent",
  ownerId,
  environments: ["staging"],
  ceiling: { tools: ["repo.read", "repo.commit"], maxExpiresIn: 1800, maxToolCalls: 30 },
});

/** The HTTP status the one error mapper gives what `p` throws (201 if it does not). */
const answered = (p: Promise<unknown>) => p.then(() => 201, (err: unknown) => toErrorResponse(err).status);

describe("agent inventory", () => {
  it("ten concurrent registrations of one name: exactly one is created, nine answer 409 (never 500), one audit event", async () => {
    await seedCatalog(db());
    const admin = await seedPerson(db(), { role: "admin" });
    const owner = await seedPerson(db());
    const name = `race-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const statuses = await Promise.all(Array.from({ length: 10 }, () => answered(createAgent(db(), admin, input(owner.id, name)))));
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(9);
    const [agent] = await db().agent.findMany({ where: { name } });
    expect(await db().auditEvent.count({ where: { agentId: agent!.id, action: "agent.created" } })).toBe(1);
  });

  it("create and edit write audit events with the change, in the same transaction", async () => {
    await seedCatalog(db());
    const admin = await seedPerson(db(), { role: "admin" });
    const owner = await seedPerson(db());
    const name = `inv-${Date.now()}`;
    const a = await createAgent(db(), admin, input(owner.id, name));
    expect(a).toMatchObject({ name, status: "active", owner: { id: owner.id }, ceiling: { maxToolCalls: 30 }, orphaned: false });
    await updateAgent(db(), admin, a.id, { ceiling: { tools: ["repo.read"], maxExpiresIn: 900, maxToolCalls: 10 } });
    const events = await db().auditEvent.findMany({ where: { agentId: a.id }, orderBy: { seq: "asc" } });
    expect(events.map((e) => e.action)).toEqual(["agent.created", "agent.updated"]);
    expect(events[1]!.payload).toMatchObject({ changes: { ceiling: { from: { maxToolCalls: 30 }, to: { maxToolCalls: 10 } } } });
  });

  it("refuses unknown ceiling tools (422), duplicate names (409), and reviving a retired agent (409) — changing nothing", async () => {
    await seedCatalog(db());
    const admin = await seedPerson(db(), { role: "admin" });
    const owner = await seedPerson(db());
    const name = `dup-${Date.now()}`;
    await expect(createAgent(db(), admin, { ...input(owner.id, name), ceiling: { tools: ["made.up"], maxExpiresIn: 60, maxToolCalls: 1 } })).rejects.toMatchObject({ status: 422 });
    expect(await db().agent.count({ where: { name } })).toBe(0);
    const a = await createAgent(db(), admin, input(owner.id, name));
    expect(await answered(createAgent(db(), admin, input(owner.id, name)))).toBe(409);
    await updateAgent(db(), admin, a.id, { status: "retired", reason: "replaced" });
    await expect(updateAgent(db(), admin, a.id, { status: "active" })).rejects.toMatchObject({ status: 409 });
    expect((await getAgent(db(), a.id)).status).toBe("retired");
  });

  it("flags orphaned agents (owner disabled) and dormant ones (no lease in 30 days), and filters by them", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const owner = await seedPerson(db());
    const agent = await seedAgent(db(), { ownerId: owner.id });
    expect((await getAgent(db(), agent.id)).orphaned).toBe(false);
    await updatePerson(db(), admin, owner.id, { status: "disabled" });
    expect((await getAgent(db(), agent.id)).orphaned).toBe(true);
    expect((await listAgents(db(), { flag: "orphaned", q: agent.name })).map((a) => a.id)).toContain(agent.id);
    try {
      advanceClock(31 * 24 * 3600 * 1000);
      expect((await getAgent(db(), agent.id)).dormant).toBe(true);
      expect((await listAgents(db(), { flag: "dormant", q: agent.name })).map((a) => a.id)).toContain(agent.id);
    } finally {
      resetClock();
    }
    expect((await getAgent(db(), agent.id)).dormant).toBe(false);
  });

  it("two admins editing at once: one wins, the other gets a 409, never a silent overwrite", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const agent = await seedAgent(db());
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => updateAgent(db(), admin, agent.id, { description: `edit ${i}` })));
    const ok = results.filter((r) => r.status === "fulfilled").length;
    const conflicts = results.filter((r) => r.status === "rejected" && (r.reason as { status?: number }).status === 409).length;
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(ok + conflicts).toBe(6);
    expect(await db().auditEvent.count({ where: { agentId: agent.id, action: "agent.updated" } })).toBe(ok);
  });
});
