import type { Db } from "@/lib/db";

/** The latest runs with their agent and the status of each of their leases, newest first. */
export async function listRecentRuns(db: Db, limit = 100) {
  const runs = await db.run.findMany({
    orderBy: { createdAt: "desc" },
    take: limit,
    include: {
      agent: { select: { id: true, name: true } },
      leases: { select: { id: true, status: true, depth: true }, orderBy: [{ depth: "asc" }, { createdAt: "asc" }] },
    },
  });
  return runs.map((r) => ({
    id: r.id,
    agent: r.agent,
    parentRunId: r.parentRunId,
    purpose: r.purpose,
    taskRef: r.taskRef,
    createdAt: r.createdAt.toISOString(),
    endedAt: r.endedAt?.toISOString() ?? null,
    leases: r.leases,
  }));
}
