import type { Prisma } from "@/lib/generated/prisma/client";
import type { Db } from "@/lib/db";
import type { z } from "zod";
import type { EscalationListQuery } from "@/lib/escalations/schemas";
import { escalationInclude, toEscalationView } from "@/lib/escalations/view";
import type { Grant } from "@/lib/leases/schemas";
import { mcpCallOf } from "@/lib/decisions/mcp-call";
import { toolCatalog } from "@/lib/tools/catalog";
import { riskOf } from "@/lib/tools/risk";

const RECENT_DECISIONS = 8;

/**
 * The approval queue (pending, soonest to expire first) or its history (decided, newest first). Each
 * item carries what an approver needs to judge it: agent, run, delegator, purpose, the exact tool and
 * resource, its risk, the lease's budget and time left, votes so far, and what the run already did —
 * its latest decisions, denials included.
 */
export async function listQueue(db: Db, q: z.infer<typeof EscalationListQuery>) {
  const pending = (q.status ?? "pending") === "pending";
  const where: Prisma.EscalationWhereInput = {
    ...(pending ? { status: "pending" } : q.status ? { status: q.status } : {}),
    ...(q.kind ? { kind: q.kind } : {}),
    ...(q.agentId ? { agentId: q.agentId } : {}),
  };
  const rows = await db.escalation.findMany({
    where,
    include: { ...escalationInclude, agent: { select: { id: true, name: true } }, lease: { include: { delegator: { select: { email: true, name: true } } } } },
    orderBy: pending ? { expiresAt: "asc" } : { decidedAt: "desc" },
    take: q.limit,
  });
  const leaseIds = [...new Set(rows.map((r) => r.leaseId))];
  const decisions = leaseIds.length
    ? await db.decision.findMany({ where: { leaseId: { in: leaseIds } }, orderBy: { createdAt: "desc" }, take: RECENT_DECISIONS * leaseIds.length * 2 })
    : [];
  // The call a step-up holds, as the enforcement point sent it (its MCP session and upstream tool).
  const asked = rows.map((r) => r.decisionId).filter((id): id is string => !!id);
  const calls = new Map(
    asked.length ? (await db.decision.findMany({ where: { id: { in: asked } }, select: { id: true, context: true } })).map((d) => [d.id, mcpCallOf(d.context)] as const) : [],
  );
  const catalog = await toolCatalog(db);
  return rows.map((r) => {
    const grants = r.lease.grants as Grant[];
    const risk = r.tool ? (catalog.get(r.tool)?.risk ?? "critical") : grants.map((g) => catalog.get(g.tool)?.risk ?? "critical").reduce((w, x) => (riskOf(x) > riskOf(w) ? x : w), "low");
    return {
      ...toEscalationView(r),
      risk,
      mcp: r.decisionId ? (calls.get(r.decisionId) ?? null) : null,
      agent: r.agent,
      lease: {
        id: r.lease.id,
        status: r.lease.status,
        purpose: r.lease.purpose,
        environment: r.lease.environment,
        requestedBy: r.lease.requestedBy,
        delegatorId: r.lease.delegatorId,
        delegator: r.lease.delegator,
        grants,
        deny: r.lease.deny,
        toolCallsUsed: r.lease.toolCallsUsed,
        maxToolCalls: r.lease.maxToolCalls,
        expiresAt: r.lease.expiresAt.toISOString(),
      },
      recentDecisions: decisions
        .filter((d) => d.leaseId === r.leaseId)
        .slice(0, RECENT_DECISIONS)
        .map((d) => ({ id: d.id, tool: d.tool, resource: d.resource as { type: string; id: string } | null, outcome: d.outcome, reasons: d.reasons as { code: string; message: string }[], at: d.createdAt.toISOString() })),
    };
  });
}
export type QueueItem = Awaited<ReturnType<typeof listQueue>>[number];
