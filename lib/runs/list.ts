import { z } from "zod";
import type { Prisma } from "@/lib/generated/prisma/client";
import { IdOf } from "@/lib/schemas/common";
import { notFound } from "@/lib/errors";
import { badString } from "@/lib/schemas/text";
import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";
import { LIVE_STATUSES } from "@/lib/leases/schemas";
import { toLeaseView } from "@/lib/leases/view";

/** How far back the run list looks, as URL words. */
export const RUN_WINDOWS = { "1h": 3600_000, "24h": 24 * 3600_000, "7d": 7 * 24 * 3600_000, "30d": 30 * 24 * 3600_000 } as const;

/** The run list's filters, as URL parameters: `/runs?agentId=…&delegatorId=…&status=live&since=24h`. */
export const RunListQuery = z.object({
  agentId: IdOf("agt").optional(),
  delegatorId: IdOf("usr").optional(),
  status: z.enum(["live", "ended"]).optional(),
  since: z.enum(Object.keys(RUN_WINDOWS) as [keyof typeof RUN_WINDOWS, ...(keyof typeof RUN_WINDOWS)[]]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(100),
});
export type RunListQuery = z.infer<typeof RunListQuery>;

/** A run is live while one of its leases may still act: active or waiting for approval, and unexpired. */
function liveLease(at: Date): Prisma.LeaseWhereInput {
  return { status: { in: [...LIVE_STATUSES] }, expiresAt: { gt: at } };
}

/** Runs, newest first, filtered by agent, delegator (of any of its leases), live/ended and age. */
export async function listRuns(db: Db, q: RunListQuery) {
  const at = now();
  const and: Prisma.RunWhereInput[] = [];
  if (q.agentId) and.push({ agentId: q.agentId });
  if (q.delegatorId) and.push({ leases: { some: { delegatorId: q.delegatorId } } });
  if (q.status === "live") and.push({ leases: { some: liveLease(at) } });
  if (q.status === "ended") and.push({ leases: { none: liveLease(at) } });
  if (q.since) and.push({ createdAt: { gte: new Date(at.getTime() - RUN_WINDOWS[q.since]) } });
  const runs = await db.run.findMany({
    where: and.length ? { AND: and } : {},
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: q.limit,
    include: {
      agent: { select: { id: true, name: true } },
      leases: {
        select: { id: true, status: true, depth: true, expiresAt: true, toolCallsUsed: true, maxToolCalls: true, delegator: { select: { id: true, name: true, email: true } }, requestedBy: true },
        orderBy: [{ depth: "asc" }, { createdAt: "asc" }],
      },
      _count: { select: { childRuns: true } },
    },
  });
  return runs.map((r) => {
    const live = r.leases.some((l) => (LIVE_STATUSES as readonly string[]).includes(l.status) && l.expiresAt > at);
    const main = r.leases[r.leases.length - 1] ?? null;
    return {
      id: r.id,
      agent: r.agent,
      parentRunId: r.parentRunId,
      purpose: r.purpose,
      createdAt: r.createdAt.toISOString(),
      endedAt: r.endedAt?.toISOString() ?? null,
      live,
      subagentRuns: r._count.childRuns,
      delegator: main?.delegator ?? null,
      requestedBy: main?.requestedBy ?? null,
      budget: main ? { used: main.toolCallsUsed, max: main.maxToolCalls } : null,
      leases: r.leases.map((l) => ({ id: l.id, status: l.status, depth: l.depth })),
    };
  });
}
export type RunListItem = Awaited<ReturnType<typeof listRuns>>[number];

/** People who have delegated at least one lease: the choices of the delegator filter. */
export async function listDelegators(db: Db) {
  return db.user.findMany({ where: { delegatedLeases: { some: {} } }, select: { id: true, name: true, email: true }, orderBy: { name: "asc" } });
}

/**
 * What the run page needs around its live timeline: the run, its agent, its parent and child runs,
 * and its leases (the latest one is the run's current lease: its budget, expiry and receipt).
 */
export async function getRunDetail(db: Db, runId: string) {
  if (badString(runId)) throw notFound("run"); // from a page's address: PostgreSQL would fail on it (a 500)
  const r = await db.run.findUnique({
    where: { id: runId },
    include: {
      agent: { select: { id: true, name: true } },
      parentRun: { select: { id: true, purpose: true, agent: { select: { name: true } } } },
      leases: { orderBy: { createdAt: "asc" }, include: { delegator: { select: { id: true, name: true, email: true } } } },
    },
  });
  if (!r) throw notFound(`run ${runId}`);
  const current = r.leases[r.leases.length - 1] ?? null;
  return {
    run: { id: r.id, purpose: r.purpose, taskRef: r.taskRef, createdAt: r.createdAt.toISOString(), endedAt: r.endedAt?.toISOString() ?? null },
    agent: r.agent,
    parentRun: r.parentRun ? { id: r.parentRun.id, purpose: r.parentRun.purpose, agentName: r.parentRun.agent.name } : null,
    leases: r.leases.map(toLeaseView),
    lease: current ? toLeaseView(current) : null,
    delegator: current?.delegator ?? null,
  };
}
