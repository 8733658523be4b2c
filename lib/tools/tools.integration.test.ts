import { beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "@/lib/generated/prisma/client";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { issueLease } from "@/lib/leases/issue";
import { upsertTool } from "@/lib/tools/tools";
import { seedAgent, seedPerson } from "@/test/factories";

const uniq = () => Math.random().toString(36).slice(2, 10);
let admin: Actor;
beforeAll(async () => {
  admin = (await seedPerson(db(), { role: "admin" })) as Actor;
});

describe("tool catalog edits", () => {
  // A tool of this test's own (raising repo.commit itself would revoke the leases of test files running beside it).
  it("raising a tool's risk above a requester's 'up to medium' revokes their live lease that relied on it, in the same transaction", async () => {
    const name = `xcommit.commit_${uniq()}`;
    await upsertTool(db(), admin, { name, description: "", risk: "medium", readOnly: false, alwaysStepUp: false, requiredApprovals: null });
    const requester = await seedPerson(db(), { role: "requester" });
    const agent = await seedAgent(db(), { ceilingTools: [name, "repo.read"] });
    const grant = (tool: string) => ({
      agentId: agent.id, purpose: "commit", environment: "staging", grants: [{ tool }],
      deny: [], requireApproval: [], expiresIn: 600, maxToolCalls: 10, maxDelegationDepth: 0,
    }) as never;
    const relying = ((await issueLease(db(), requester, grant(name))) as { lease: { id: string } }).lease.id;
    const other = ((await issueLease(db(), requester, grant("repo.read"))) as { lease: { id: string } }).lease.id;
    expect(["active", "pending_approval"]).toContain((await db().lease.findUniqueOrThrow({ where: { id: relying } })).status);

    // A change that is not the risk re-checks nothing.
    await upsertTool(db(), admin, { name, description: "commits", risk: "medium", readOnly: false, alwaysStepUp: false, requiredApprovals: null });
    expect((await db().lease.findUniqueOrThrow({ where: { id: relying } })).status).not.toBe("revoked");

    await upsertTool(db(), admin, { name, description: "commits", risk: "high", readOnly: false, alwaysStepUp: false, requiredApprovals: null });
    expect((await db().lease.findUniqueOrThrow({ where: { id: relying } })).status).toBe("revoked");
    expect((await db().lease.findUniqueOrThrow({ where: { id: other } })).status).not.toBe("revoked");
    const ev = await db().auditEvent.findFirstOrThrow({ where: { leaseId: relying, action: "lease.revoked" } });
    expect(JSON.stringify(ev.payload)).toContain("delegator_unentitled");
    expect(JSON.stringify(ev.payload)).toContain(`tool ${name} is now high risk (was medium)`);
  });

  it("an issuance under way while the risk is raised is re-checked too: its lease never stays live on the old risk", async () => {
    const name = `xcommit.race_${uniq()}`;
    const tool = (risk: string) => ({ name, description: "", risk, readOnly: false, alwaysStepUp: false, requiredApprovals: null }) as never;
    await upsertTool(db(), admin, tool("medium"));
    const requester = await seedPerson(db(), { role: "requester" });
    const agent = await seedAgent(db(), { ceilingTools: [name] });
    const poll = async (cond: () => Promise<boolean>) => {
      for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 10))) if (await cond()) return;
      throw new Error("timed out");
    };
    // Hold the requester's row so the issuance stops inside its transaction, after it has read the tool's risk.
    let release!: () => void;
    let xid = "";
    const holder = db().$transaction(async (tx) => {
      xid = (await tx.$queryRaw<{ x: string }[]>(Prisma.sql`SELECT txid_current()::text AS x`))[0]!.x;
      await tx.$queryRaw(Prisma.sql`SELECT 1 FROM "users" WHERE "id" = ${requester.id} FOR UPDATE`);
      await new Promise<void>((r) => (release = r));
    }, { timeout: 30_000 });
    await poll(async () => xid !== "");
    const issuing = issueLease(db(), requester, {
      agentId: agent.id, purpose: "race", environment: "staging", grants: [{ tool: name }],
      deny: [], requireApproval: [], expiresIn: 600, maxToolCalls: 10, maxDelegationDepth: 0,
    } as never).then((r) => (r as { lease: { id: string } }).lease.id, (e: unknown) => e);
    await poll(async () => (await db().$queryRaw<{ n: number }[]>(Prisma.sql`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted AND transactionid::text = ${xid}`))[0]!.n > 0);
    // The raise either completes now (nothing live grants the tool yet) or waits for the issuance: both must end with no live lease.
    let raised = false;
    const raising = upsertTool(db(), admin, tool("high")).then(() => (raised = true));
    await poll(async () => raised || (await db().$queryRaw<{ n: number }[]>(Prisma.sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%"tools"%'`))[0]!.n > 0);
    release();
    await holder;
    const [leaseId] = await Promise.all([issuing, raising]);
    if (typeof leaseId === "string") expect((await db().lease.findUniqueOrThrow({ where: { id: leaseId } })).status).toBe("revoked");
    else expect(leaseId).toMatchObject({ status: 422 });
  });
});
