import { beforeAll, describe, expect, it } from "vitest";
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
});
