import type { Db } from "@/lib/db";
import { listQueue, type QueueItem } from "@/lib/escalations/queue";

export const DECIDED_STATUSES = ["approved", "denied", "expired", "consumed", "cancelled"] as const;
export type DecidedStatus = (typeof DECIDED_STATUSES)[number];

/**
 * Decided escalations, newest first: one read over every decided status (it used to be one full
 * listQueue per status, five times the rows and connections for one page).
 */
export async function listHistory(db: Db, q: { status?: DecidedStatus; kind?: QueueItem["kind"]; agentId?: string; limit: number }): Promise<QueueItem[]> {
  return listQueue(db, { statuses: q.status ? [q.status] : DECIDED_STATUSES, kind: q.kind, agentId: q.agentId, limit: q.limit });
}
