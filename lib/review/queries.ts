import { Prisma } from "@/lib/generated/prisma/client";
import { now } from "@/lib/clock";
import type { Db, Tx } from "@/lib/db";
import type { Grant } from "@/lib/leases/schemas";

const DAY_MS = 86_400_000;

export type CeilingToolUse = { tool: string; lastAllowedAt: string | null; unused30: boolean; unused90: boolean };
export type AgentReview = {
  id: string;
  name: string;
  status: string;
  owner: { id: string; email: string; name: string; status: string } | null;
  /** no owner, or an owner who is not active: nobody answers for this agent */
  ownerless: boolean;
  tools: CeilingToolUse[];
  /** live leases' grants never used (no allow on that lease for that tool) */
  unusedGrants: { leaseId: string; tool: string; since: string }[];
};

/**
 * The access review of every agent that is not retired (or of one): each ceiling tool's last allow in
 * the last 90 days (unused in 30/90 days), the live leases' grants no allow has used, and whether an
 * active person owns it. Two grouped reads over decisions, each bounded by an index: the window's allows
 * by (agent, tool) through the createdAt index, and the live leases' allows through (leaseId, createdAt),
 * instead of a query per agent or per tool.
 */
export async function accessReview(db: Db | Tx, o: { agentId?: string; ownerId?: string } = {}): Promise<AgentReview[]> {
  const at = now();
  const agents = await db.agent.findMany({
    where: { status: { not: "retired" }, ...(o.agentId ? { id: o.agentId } : {}), ...(o.ownerId ? { ownerId: o.ownerId } : {}) },
    select: { id: true, name: true, status: true, ceilingTools: true, owner: { select: { id: true, email: true, name: true, status: true } } },
    orderBy: { name: "asc" },
  });
  if (!agents.length) return [];
  const ids = agents.map((a) => a.id);
  const since90 = new Date(at.getTime() - 90 * DAY_MS);
  const since30 = new Date(at.getTime() - 30 * DAY_MS);
  const lastAllow = await db.$queryRaw<{ agentId: string; tool: string; last: Date }[]>(Prisma.sql`
    SELECT "agentId", "tool", max("createdAt") AS "last" FROM "decisions"
    WHERE "createdAt" >= ${since90} AND "outcome" = 'allow' AND "agentId" = ANY(${ids}::text[])
    GROUP BY 1, 2`);
  const last = new Map(lastAllow.map((r) => [`${r.agentId}\u0000${r.tool}`, r.last]));
  const leases = await db.lease.findMany({ where: { agentId: { in: ids }, status: "active" }, select: { id: true, agentId: true, grants: true, createdAt: true } });
  const used = new Set<string>();
  if (leases.length) {
    const rows = await db.$queryRaw<{ leaseId: string; tool: string }[]>(Prisma.sql`
      SELECT DISTINCT "leaseId", "tool" FROM "decisions" WHERE "leaseId" = ANY(${leases.map((l) => l.id)}::text[]) AND "outcome" = 'allow'`);
    for (const r of rows) used.add(`${r.leaseId}\u0000${r.tool}`);
  }
  return agents.map((a) => ({
    id: a.id,
    name: a.name,
    status: a.status,
    owner: a.owner,
    ownerless: a.owner?.status !== "active",
    tools: a.ceilingTools.map((tool) => {
      const t = last.get(`${a.id}\u0000${tool}`) ?? null;
      return { tool, lastAllowedAt: t?.toISOString() ?? null, unused30: !t || t < since30, unused90: !t };
    }),
    unusedGrants: leases
      .filter((l) => l.agentId === a.id)
      .flatMap((l) => [...new Set((l.grants as Grant[]).map((g) => g.tool))].filter((tool) => !used.has(`${l.id}\u0000${tool}`)).map((tool) => ({ leaseId: l.id, tool, since: l.createdAt.toISOString() }))),
  }));
}

/** The tools a review would remove from an agent's ceiling: none allowed in the last `days` (30 or 90). */
export function unusedTools(r: AgentReview, days: 30 | 90): string[] {
  return r.tools.filter((t) => (days === 30 ? t.unused30 : t.unused90)).map((t) => t.tool);
}
