import { Prisma } from "@/lib/generated/prisma/client";
import type { Db } from "@/lib/db";
import type { z } from "zod";
import type { EscalationListQuery } from "@/lib/escalations/schemas";
import { escalationInclude, toEscalationView } from "@/lib/escalations/view";
import type { Grant } from "@/lib/leases/schemas";
import { mcpCallOf } from "@/lib/decisions/mcp-call";
import { toolCatalog } from "@/lib/tools/catalog";
import { riskOf } from "@/lib/tools/risk";
import { isAssignedTo } from "@/lib/routing/route";

const RECENT_DECISIONS = 8;

/**
 * The approval queue (pending, soonest to expire first) or its history (decided, newest first). Each
 * item carries what an approver needs to judge it: agent, run, delegator, purpose, the exact tool and
 * resource, its risk, the lease's budget and time left, votes so far, and what the run already did —
 * its latest decisions, denials included. With a viewer, each item says whether it is assigned to them
 * (issue 17: routed to one of their groups, or to no group) and the pending queue lists those first.
 */
export async function listQueue(db: Db, q: z.infer<typeof EscalationListQuery> & { statuses?: readonly string[] }, viewer?: { id: string }) {
  const pending = !q.statuses && (q.status ?? "pending") === "pending";
  const where: Prisma.EscalationWhereInput = {
    ...(q.statuses ? { status: { in: [...q.statuses] } } : pending ? { status: "pending" } : q.status ? { status: q.status } : {}),
    ...(q.kind ? { kind: q.kind } : {}),
    ...(q.agentId ? { agentId: q.agentId } : {}),
  };
  const rows = await db.escalation.findMany({
    where,
    include: { ...escalationInclude, agent: { select: { id: true, name: true } }, lease: { include: { delegator: { select: { email: true, name: true } } } } },
    orderBy: pending ? { expiresAt: "asc" } : [{ decidedAt: { sort: "desc", nulls: "last" } }, { createdAt: "desc" }],
    take: q.limit,
  });
  const leaseIds = [...new Set(rows.map((r) => r.leaseId))];
  const decisions = await recentDecisions(db, leaseIds);
  // Distinct records each lease touched under its maxRecords grants (issue 15): the prompt shows used/limit.
  const records = new Map(
    leaseIds.length
      ? (await db.$queryRaw<{ leaseId: string; n: number }[]>(Prisma.sql`SELECT "leaseId", count(*)::int AS "n" FROM "lease_records" WHERE "leaseId" = ANY(${leaseIds}::text[]) GROUP BY 1`)).map((r) => [r.leaseId, r.n] as const)
      : [],
  );
  // The call a step-up holds, as the enforcement point sent it (its MCP session and upstream tool).
  const asked = rows.map((r) => r.decisionId).filter((id): id is string => !!id);
  const calls = new Map(
    asked.length ? (await db.decision.findMany({ where: { id: { in: asked } }, select: { id: true, context: true } })).map((d) => [d.id, mcpCallOf(d.context)] as const) : [],
  );
  const catalog = await toolCatalog(db);
  const viewerGroups = new Set(viewer ? (await db.groupMember.findMany({ where: { userId: viewer.id }, select: { groupId: true } })).map((m) => m.groupId) : []);
  const items = rows.map((r) => {
    const grants = r.lease.grants as Grant[];
    const risk = r.tool ? (catalog.get(r.tool)?.risk ?? "critical") : grants.map((g) => catalog.get(g.tool)?.risk ?? "critical").reduce((w, x) => (riskOf(x) > riskOf(w) ? x : w), "low");
    return {
      ...toEscalationView(r),
      risk,
      assignedGroupIds: r.assignedGroupIds,
      assignedToYou: viewer ? isAssignedTo(r.assignedGroupIds, viewerGroups) : false,
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
        recordsUsed: records.get(r.leaseId) ?? 0,
      },
      recentDecisions: (decisions.get(r.leaseId) ?? []).map((d) => ({
        id: d.id,
        tool: d.tool,
        resource: d.resource as { type: string; id: string } | null,
        outcome: d.outcome,
        reasons: d.reasons as { code: string; message: string }[],
        at: d.createdAt.toISOString(),
      })),
    };
  });
  // Stable: within each part the order above (soonest to expire first) stands.
  return pending && viewer ? [...items.filter((i) => i.assignedToYou), ...items.filter((i) => !i.assignedToYou)] : items;
}

type RecentRow = { leaseId: string; id: string; tool: string; resource: unknown; outcome: string; reasons: unknown; createdAt: Date };

/**
 * Each lease's latest decisions, a bounded index read per lease (LATERAL … LIMIT). One "leaseId IN (…)
 * ORDER BY createdAt DESC LIMIT n" over all of them let PostgreSQL walk the whole createdAt index
 * backwards for old leases (the history: 14 s and a 500 on a large table), and a busy lease's calls
 * could crowd a quiet one's out of the shared limit.
 */
async function recentDecisions(db: Db, leaseIds: string[]): Promise<Map<string, RecentRow[]>> {
  const byLease = new Map<string, RecentRow[]>();
  if (!leaseIds.length) return byLease;
  const rows = await db.$queryRaw<RecentRow[]>(Prisma.sql`
    SELECT l."id" AS "leaseId", d."id", d."tool", d."resource", d."outcome", d."reasons", d."createdAt"
    FROM unnest(${leaseIds}::text[]) AS l("id")
    CROSS JOIN LATERAL (
      SELECT "id", "tool", "resource", "outcome", "reasons", "createdAt" FROM "decisions"
      WHERE "leaseId" = l."id" ORDER BY "createdAt" DESC LIMIT ${RECENT_DECISIONS}
    ) d
    ORDER BY d."createdAt" DESC`);
  for (const r of rows) {
    const list = byLease.get(r.leaseId);
    if (list) list.push(r);
    else byLease.set(r.leaseId, [r]);
  }
  return byLease;
}
export type QueueItem = Awaited<ReturnType<typeof listQueue>>[number];
