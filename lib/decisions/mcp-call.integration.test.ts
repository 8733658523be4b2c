// A call made through the MCP gateway shows its session and upstream tool to approvers (the queue) and
// to auditors (explain); a call without MCP context shows none.
import { describe, expect, it } from "vitest";
import { explainDecision } from "@/lib/audit/explain";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { EscalationListQuery } from "@/lib/escalations/schemas";
import { listQueue } from "@/lib/escalations/queue";
import { seedCatalog } from "@/prisma/seed";
import { seedEnforcementPoint, seedLease } from "@/test/factories";

describe("the MCP call behind a decision", () => {
  it("reaches the approval queue and explain; a plain call has none", async () => {
    await seedCatalog(db());
    const { actor: ep } = await seedEnforcementPoint(db());
    const { lease, leaseToken } = await seedLease(db());
    const mcp = { session: "8d6f0c0e-5b7a-4d38-9b43-1f2f0e3c7a11", connection: "deployer", upstreamTool: "deploy_service", argumentsDigest: "ab".repeat(32) };
    const held = await decide(db(), ep, { leaseToken, tool: "production.deploy", context: { environment: "staging", mcp } });
    expect(held.decision).toBe("escalate");
    const plain = await decide(db(), ep, { leaseToken, tool: "repo.read" });

    const queue = await listQueue(db(), EscalationListQuery.parse({ agentId: lease.agentId }));
    const item = queue.find((q) => q.id === held.escalationId);
    expect(item?.mcp).toMatchObject({ session: mcp.session, connection: "deployer", upstreamTool: "deploy_service", argumentsDigest: mcp.argumentsDigest });

    expect((await explainDecision(db(), held.decisionId)).decision.mcp).toMatchObject({ session: mcp.session, upstreamTool: "deploy_service" });
    expect((await explainDecision(db(), plain.decisionId)).decision.mcp).toBeNull();
  });
});
