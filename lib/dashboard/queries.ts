import { Prisma } from "@/lib/generated/prisma/client";
import { DORMANT_AFTER_MS } from "@/lib/agents/view";
import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";
import type { Grant } from "@/lib/leases/schemas";
import { toolCatalog } from "@/lib/tools/catalog";
import { driftPerAgent } from "@/lib/dashboard/drift";
import { riskOf } from "@/lib/tools/risk";

/** Exposure weight of a lease by its riskiest granted tool. */
export const RISK_WEIGHT = { low: 1, medium: 2, high: 5, critical: 10 } as const;

/** Everything the dashboard draws, in one round of queries. */
export async function dashboard(db: Db) {
  const at = now();
  const since = new Date(at.getTime() - 24 * 3600_000);
  const [perMinute, topDenied, escalationTimes, active, agents, pending, drift] = await Promise.all([
    db.$queryRaw<{ minute: Date; outcome: string; n: number }[]>(Prisma.sql`
      SELECT date_trunc('minute', "createdAt") AS minute, "outcome", count(*)::int AS n
      FROM "decisions" WHERE "createdAt" >= ${since} GROUP BY 1, 2 ORDER BY 1`),
    db.$queryRaw<{ tool: string; n: number }[]>(Prisma.sql`
      SELECT "tool", count(*)::int AS n FROM "decisions" WHERE "createdAt" >= ${since} AND "outcome" = 'deny'
      GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 8`),
    db.$queryRaw<{ p50: number | null; p90: number | null; decided: number; expired: number }[]>(Prisma.sql`
      SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM "decidedAt" - "createdAt")) FILTER (WHERE "status" IN ('approved', 'denied', 'consumed')) AS p50,
             percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM "decidedAt" - "createdAt")) FILTER (WHERE "status" IN ('approved', 'denied', 'consumed')) AS p90,
             count(*) FILTER (WHERE "status" IN ('approved', 'denied', 'consumed'))::int AS decided,
             count(*) FILTER (WHERE "status" = 'expired')::int AS expired
      FROM "escalations" WHERE "createdAt" >= ${since}`),
    db.lease.findMany({ where: { status: "active", expiresAt: { gt: at } }, orderBy: { expiresAt: "asc" }, take: 200, include: { agent: { select: { name: true } } } }),
    db.agent.findMany({ where: { status: { not: "retired" } }, select: { id: true, name: true, lastLeaseAt: true, createdAt: true, owner: { select: { status: true } } } }),
    // People, not requests: the distinct delegators (or requesters) whose runs wait on a decision.
    db.$queryRaw<{ requests: number; people: number }[]>(Prisma.sql`
      SELECT count(*)::int AS requests, count(DISTINCT COALESCE(l."delegatorId", 'requester:' || l."requestedBy"))::int AS people
      FROM "escalations" e JOIN "leases" l ON l."id" = e."leaseId" WHERE e."status" = 'pending'`),
    driftPerAgent(db, since, at),
  ]);
  const catalog = await toolCatalog(db);
  const activeLeases = active.map((l) => {
    const risk = (l.grants as Grant[]).map((g) => catalog.get(g.tool)?.risk ?? "critical").reduce((w, r) => (riskOf(r) > riskOf(w) ? r : w), "low") as keyof typeof RISK_WEIGHT;
    const minutesLeft = Math.max(0, (l.expiresAt.getTime() - at.getTime()) / 60_000);
    return { id: l.id, agent: l.agent.name, purpose: l.purpose, expiresAt: l.expiresAt.toISOString(), minutesLeft: Math.round(minutesLeft * 10) / 10, risk, exposure: Math.round(minutesLeft * RISK_WEIGHT[risk] * 10) / 10, toolCallsUsed: l.toolCallsUsed, maxToolCalls: l.maxToolCalls };
  });
  const dormantBefore = at.getTime() - DORMANT_AFTER_MS;
  const byMinute = new Map<string, { minute: string; allow: number; deny: number; escalate: number }>();
  for (const r of perMinute) {
    const key = r.minute.toISOString();
    const row = byMinute.get(key) ?? { minute: key, allow: 0, deny: 0, escalate: 0 };
    if (r.outcome === "allow" || r.outcome === "deny" || r.outcome === "escalate") row[r.outcome] += r.n;
    byMinute.set(key, row);
  }
  const t = escalationTimes[0];
  return {
    generatedAt: at.toISOString(),
    decisionsPerMinute: [...byMinute.values()],
    topDeniedTools: topDenied,
    escalations: { p50Seconds: t?.p50 ?? null, p90Seconds: t?.p90 ?? null, decided: t?.decided ?? 0, expired: t?.expired ?? 0, pending: pending[0]?.requests ?? 0, pendingPeople: pending[0]?.people ?? 0 },
    activeLeases,
    driftPerAgent: drift,
    standingExposure: Math.round(activeLeases.reduce((s, l) => s + l.exposure, 0) * 10) / 10,
    dormantAgents: agents.filter((a) => (a.lastLeaseAt ?? a.createdAt).getTime() < dormantBefore).map((a) => ({ id: a.id, name: a.name })),
    orphanedAgents: agents.filter((a) => !a.owner || a.owner.status !== "active").map((a) => ({ id: a.id, name: a.name })),
  };
}
export type Dashboard = Awaited<ReturnType<typeof dashboard>>;
