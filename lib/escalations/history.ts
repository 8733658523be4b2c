import type { Db } from "@/lib/db";
import { listQueue, type QueueItem } from "@/lib/escalations/queue";

export const DECIDED_STATUSES = ["approved", "denied", "expired", "consumed", "cancelled"] as const;
export type DecidedStatus = (typeof DECIDED_STATUSES)[number];

/**
 * Decided escalations, newest first. `listQueue` reads one status at a time (no status means the
 * pending queue), so "any decided status" is the merge of one read per status.
 */
export async function listHistory(db: Db, q: { status?: DecidedStatus; kind?: QueueItem["kind"]; agentId?: string; limit: number }): Promise<QueueItem[]> {
  const statuses = q.status ? [q.status] : DECIDED_STATUSES;
  const pages = await Promise.all(statuses.map((status) => listQueue(db, { status, kind: q.kind, agentId: q.agentId, limit: q.limit })));
  const time = (i: QueueItem) => new Date(i.decidedAt ?? i.createdAt).getTime();
  return pages
    .flat()
    .sort((a, b) => time(b) - time(a))
    .slice(0, q.limit);
}
