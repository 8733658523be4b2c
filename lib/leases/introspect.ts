import { z } from "zod";
import { now } from "@/lib/clock";
import { evaluateChain, loadChain } from "@/lib/decisions/decide";
import { REASON_CODES, type Reason } from "@/lib/decisions/schemas";
import type { Db } from "@/lib/db";
import type { Grant } from "@/lib/leases/schemas";
import { toolCatalog } from "@/lib/tools/catalog";
import { verifyLeaseToken } from "@/lib/tokens/lease-token";

export const IntrospectRequest = z.strictObject({ leaseToken: z.string().max(8192).describe("the agent run's lease token") });
export const IntrospectResponse = z.object({
  active: z.boolean().describe("whether any call could be allowed now; false: reasons say why not"),
  reasons: z.array(z.object({ code: z.enum(REASON_CODES), message: z.string() })),
  lease: z.object({ id: z.string(), runId: z.string(), agentId: z.string(), status: z.string(), environment: z.string(), expiresAt: z.string(), remainingToolCalls: z.number() }).nullable(),
  tools: z.array(
    z.object({
      tool: z.string(),
      resource: z.object({ type: z.string(), ids: z.array(z.string()) }).nullable().describe("the resource scope the grant is limited to; null: any"),
      stepUp: z.boolean().describe("a call waits for a person's approval"),
      risk: z.string(),
      readOnly: z.boolean(),
    }),
  ).describe("the tools the lease can use now: granted (by it and every ancestor), not denied; empty when not active"),
});
export type IntrospectResponse = z.infer<typeof IntrospectResponse>;

// Not a catalog name: a probe that passes every lease-level rule and then fails as not granted.
const PROBE = "lanyard.introspection_probe";
const TOOL_LEVEL = new Set(["tool_denied", "tool_not_granted", "resource_out_of_scope", "approval_required", "policy_forbid", "constraint_violated", "environment_mismatch"]);

/**
 * What an enforcement point may show an agent before it calls anything (the MCP gateway's tools/list):
 * the same decision rules as POST /api/v1/decisions, applied to each granted tool without taking budget
 * or writing anything. A read: the real answer is still the decision made at call time.
 */
export async function introspectLease(db: Db, leaseToken: string): Promise<IntrospectResponse> {
  const token = await verifyLeaseToken(db, leaseToken);
  if (!token.ok) return { active: false, reasons: [{ code: token.code, message: token.message }], lease: null, tools: [] };
  const chain = await loadChain(db, token.claims.leaseId);
  const at = now();
  const catalog = await toolCatalog(db);
  const ask = (tool: string, resource?: { type: string; id: string }) => evaluateChain(token.claims, chain, catalog.get(tool), { leaseToken, tool, resource }, at);
  const probe = ask(PROBE);
  const leaseLevel: Reason[] = probe.reasons.filter((r) => !TOOL_LEVEL.has(r.code));
  const leaf = chain.leases[0];
  const lease = leaf
    ? {
        id: leaf.id,
        runId: leaf.runId,
        agentId: leaf.agentId,
        status: leaf.status,
        environment: leaf.environment,
        expiresAt: leaf.expiresAt.toISOString(),
        remainingToolCalls: Math.max(0, Math.min(...chain.leases.map((l) => l.maxToolCalls - l.toolCallsUsed))),
      }
    : null;
  if (leaseLevel.length) return { active: false, reasons: leaseLevel, lease, tools: [] };
  const tools: IntrospectResponse["tools"] = [];
  for (const g of leaf!.grants as Grant[]) {
    // A resource-scoped grant is asked about one resource it covers (a pattern's prefix), so ancestors'
    // scopes and step-up rules apply as they will at call time.
    const v = ask(g.tool, g.resource ? { type: g.resource.type, id: g.resource.ids[0]!.replace(/\*$/, "") } : undefined);
    // A grant's constraints (data class, tenant, records) are judged on each call's resource, not here: still listed.
    if (v.outcome === "deny" && !v.reasons.some((r) => r.code === "constraint_violated")) continue;
    if (tools.some((t) => t.tool === g.tool && JSON.stringify(t.resource) === JSON.stringify(g.resource ?? null))) continue;
    const info = catalog.get(g.tool);
    tools.push({ tool: g.tool, resource: g.resource ?? null, stepUp: v.outcome === "escalate", risk: info?.risk ?? "critical", readOnly: info?.readOnly ?? false });
  }
  return { active: true, reasons: [], lease, tools };
}
