import { Prisma } from "@/lib/generated/prisma/client";
import type { Tx } from "@/lib/db";
import { auditRow, type AuditActor } from "@/lib/audit/append";
import { now } from "@/lib/clock";
import { newId } from "@/lib/ids";
import { publish } from "@/lib/events/bus";

export type EndedLease = { id: string; agentId: string; runId: string; version: number; parentLeaseId: string | null };

/**
 * Ends each of `rootIds` that is still live, and every live descendant of them, in one conditional
 * UPDATE: a decision that has not yet taken its budget can no longer do so once this commits.
 */
export async function endLeaseTrees(
  tx: Tx,
  rootIds: string[],
  end: { status: "revoked" | "completed" | "denied"; reason: string; actor: AuditActor; action: "lease.revoked" | "lease.ended"; detail?: Record<string, unknown> },
): Promise<EndedLease[]> {
  if (rootIds.length === 0) return [];
  const at = now();
  // Lock first, in id order (as decisions do), then update in a statement of its own: READ COMMITTED
  // gives that statement a fresh snapshot, so a child that a delegation (holding a root FOR SHARE)
  // committed while we waited for the lock is seen and ended too, never left active under a dead root.
  await tx.$queryRaw(Prisma.sql`
    SELECT "id" FROM "leases" WHERE ("id" = ANY(${rootIds}::text[]) OR "ancestorIds" && ${rootIds}::text[])
      AND "status" IN ('active', 'pending_approval') ORDER BY "id" FOR UPDATE`);
  const rows = await tx.$queryRaw<EndedLease[]>(Prisma.sql`
    UPDATE "leases" SET "status" = ${end.status}, "endedReason" = ${end.reason}, "endedAt" = ${at}
    WHERE ("id" = ANY(${rootIds}::text[]) OR "ancestorIds" && ${rootIds}::text[])
      AND "status" IN ('active', 'pending_approval')
    RETURNING "id", "agentId", "runId", "version", "parentLeaseId"`);
  if (rows.length === 0) return rows;
  // Questions about leases that no longer exist are moot: cancel them so no one approves into the void.
  await tx.escalation.updateMany({ where: { leaseId: { in: rows.map((r) => r.id) }, status: "pending" }, data: { status: "cancelled", decidedAt: at } });
  await tx.auditEvent.createMany({
    data: rows.map((l) =>
      auditRow(newId("evt"), {
        action: end.action,
        actor: end.actor,
        subject: { type: "lease", id: l.id },
        agentId: l.agentId,
        runId: l.runId,
        leaseId: l.id,
        leaseVersion: l.version,
        // detail: what the caller says about this root (e.g. which grants no entitlement covers any more).
        payload: { status: end.status, reason: end.reason, cascadedFrom: rootIds.includes(l.id) ? null : rootIds, ...(end.detail?.[l.id] !== undefined ? { detail: end.detail[l.id] } : {}) },
      }),
    ),
  });
  await publish(tx, { type: "run.event", runIds: [...new Set(rows.map((r) => r.runId))] });
  return rows;
}
