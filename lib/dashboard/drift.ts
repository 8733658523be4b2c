import { Prisma } from "@/lib/generated/prisma/client";
import type { Db } from "@/lib/db";

/** Agents drawn as their own series; the rest are summed as "other" so the chart stays legible. */
export const DRIFT_TOP_AGENTS = 5;
export const OTHER_AGENTS = "other";

export type DriftPerAgent = {
  /** one per agent drawn, most flags first (then "other" when there are more agents) */
  agents: { key: string; name: string; total: number; enforced: number }[];
  /** hourly buckets from `since`, empty ones included: { hour, [agent key]: flags } */
  hours: ({ hour: string } & Record<string, number | string>)[];
  total: number;
};

/**
 * Decisions flagged off-intent (decisions.drift) per agent and hour since `since`: the dashboard's drift
 * chart. Both modes count (an enforce flag is an escalation a person saw; an advisory one was allowed).
 */
export async function driftPerAgent(db: Db, since: Date, until: Date, top = DRIFT_TOP_AGENTS): Promise<DriftPerAgent> {
  const rows = await db.$queryRaw<{ hour: Date; agentId: string | null; name: string | null; n: number; enforced: number }[]>(Prisma.sql`
    SELECT date_trunc('hour', d."createdAt") AS hour, d."agentId", a."name", count(*)::int AS n,
           count(*) FILTER (WHERE d."drift"->>'mode' = 'enforce')::int AS enforced
    FROM "decisions" d LEFT JOIN "agents" a ON a."id" = d."agentId"
    WHERE d."createdAt" >= ${since} AND d."createdAt" < ${until} AND d."drift" IS NOT NULL
    GROUP BY 1, 2, 3 ORDER BY 1`);
  const totals = new Map<string, { key: string; name: string; total: number; enforced: number }>();
  for (const r of rows) {
    const key = r.agentId ?? "unknown";
    const t = totals.get(key) ?? { key, name: r.name ?? key, total: 0, enforced: 0 };
    t.total += r.n;
    t.enforced += r.enforced;
    totals.set(key, t);
  }
  const ranked = [...totals.values()].sort((a, b) => b.total - a.total || a.name.localeCompare(b.name));
  const shown = ranked.slice(0, top);
  const rest = ranked.slice(top);
  const drawn = new Set(shown.map((a) => a.key));
  const agents = rest.length ? [...shown, { key: OTHER_AGENTS, name: "other agents", total: rest.reduce((s, a) => s + a.total, 0), enforced: rest.reduce((s, a) => s + a.enforced, 0) }] : shown;
  const hours: DriftPerAgent["hours"] = [];
  const index = new Map<number, number>();
  const first = Math.floor(since.getTime() / 3600_000) * 3600_000;
  for (let t = first; t < until.getTime(); t += 3600_000) {
    index.set(t, hours.length);
    hours.push(Object.fromEntries([["hour", new Date(t).toISOString()], ...agents.map((a) => [a.key, 0])]) as DriftPerAgent["hours"][number]);
  }
  for (const r of rows) {
    const h = hours[index.get(r.hour.getTime()) ?? -1];
    if (!h) continue;
    const key = drawn.has(r.agentId ?? "unknown") ? (r.agentId ?? "unknown") : OTHER_AGENTS;
    h[key] = Number(h[key] ?? 0) + r.n;
  }
  return { agents, hours, total: ranked.reduce((s, a) => s + a.total, 0) };
}
