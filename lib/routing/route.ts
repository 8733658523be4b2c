import type { Tx } from "@/lib/db";
import { ROLE_PERMISSIONS, type Role } from "@/lib/auth/permissions";
import { requiredApprovalsFor, stepUpWindowMs } from "@/lib/tools/risk";

/** The conditions of an approval route; null matches anything. */
export type RouteConditions = { agentId: string | null; tool: string | null; risk: string | null; environment: string | null };
export type RouteRow = RouteConditions & { id: string; position: number; groupIds: string[]; requiredApprovals: number | null; windowMinutes: number | null };
export type Routed = { routeId: string | null; groupIds: string[]; requiredApprovals: number; windowMs: number };
type LeaseParties = { delegatorId: string | null; requestedBy: string };

/** The roles that may vote: who "any approver" means and who is notified. */
export const DECIDING_ROLES = (Object.keys(ROLE_PERMISSIONS) as Role[]).filter((r) => ROLE_PERMISSIONS[r].includes("approvals.decide"));

/** Does a route's every condition hold for this request? Pure: the settings page's preview could apply the same. */
export function routeMatches(r: RouteConditions, q: { agentId: string; tool: string | null; risk: string; environment: string }): boolean {
  return (r.agentId === null || r.agentId === q.agentId) && (r.tool === null || r.tool === q.tool) && (r.risk === null || r.risk === q.risk) && (r.environment === null || r.environment === q.environment);
}

/**
 * The first matching route (lowest position, then oldest id) decides; its threshold is never below what
 * the tool's risk requires already, and its window never reaches past the lease. Pure given its inputs.
 */
export function applyRoute(
  routes: readonly RouteRow[],
  q: { agentId: string; tool: string | null; risk: string; environment: string; toolRequiredApprovals: number | null },
  defaultGroupIds: string[],
): Routed {
  const floor = requiredApprovalsFor(q.risk, q.toolRequiredApprovals);
  const route = [...routes].sort((a, b) => a.position - b.position || a.id.localeCompare(b.id)).find((r) => routeMatches(r, q));
  if (!route) return { routeId: null, groupIds: defaultGroupIds, requiredApprovals: floor, windowMs: stepUpWindowMs(q.risk) };
  return {
    routeId: route.id,
    groupIds: route.groupIds,
    requiredApprovals: Math.max(floor, route.requiredApprovals ?? 0),
    windowMs: route.windowMinutes ? route.windowMinutes * 60_000 : stepUpWindowMs(q.risk),
  };
}

/**
 * Routes one escalation about to be opened, in its transaction. With no route matching: the groups of
 * the agent's owner that hold someone who can vote, else no group (any approver).
 */
export async function routeEscalation(tx: Tx, q: { leaseId: string; agentId: string; tool: string | null; risk: string; toolRequiredApprovals: number | null }): Promise<Routed & { lease: LeaseParties }> {
  const [lease, routes] = await Promise.all([
    tx.lease.findUniqueOrThrow({ where: { id: q.leaseId }, select: { environment: true, delegatorId: true, requestedBy: true, agent: { select: { ownerId: true } } } }),
    tx.approvalRoute.findMany({ orderBy: [{ position: "asc" }, { id: "asc" }] }),
  ]);
  const input = { ...q, environment: lease.environment };
  const parties = { delegatorId: lease.delegatorId, requestedBy: lease.requestedBy };
  const matched = { ...applyRoute(routes, input, []), lease: parties };
  if (matched.routeId || !lease.agent.ownerId) return matched;
  const ownerGroups = await tx.group.findMany({
    where: {
      members: { some: { userId: lease.agent.ownerId } },
      AND: { members: { some: { user: { status: "active", role: { in: DECIDING_ROLES } } } } },
    },
    select: { id: true },
    orderBy: { id: "asc" },
  });
  return { ...matched, groupIds: ownerGroups.map((g) => g.id) };
}

/** Is the person assigned this escalation? An escalation assigned to no group is everyone's. */
export function isAssignedTo(assignedGroupIds: readonly string[], personGroupIds: ReadonlySet<string>): boolean {
  return assignedGroupIds.length === 0 || assignedGroupIds.some((g) => personGroupIds.has(g));
}
