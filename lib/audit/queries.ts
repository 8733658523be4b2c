import type { Db } from "@/lib/db";

/** The newest audit events (by sequence), for the console's read-only view. */
export async function listLatestAuditEvents(db: Db, limit = 100) {
  const rows = await db.auditEvent.findMany({
    orderBy: { seq: "desc" },
    take: limit,
    select: { seq: true, id: true, at: true, action: true, actorType: true, actorId: true, actorLabel: true, subjectType: true, subjectId: true, outcome: true },
  });
  return rows.map((e) => ({
    seq: e.seq.toString(),
    id: e.id,
    at: e.at.toISOString(),
    action: e.action,
    actor: e.actorLabel ?? e.actorId ?? e.actorType,
    actorType: e.actorType,
    subject: e.subjectType ? `${e.subjectType} ${e.subjectId ?? ""}`.trim() : null,
    outcome: e.outcome,
  }));
}
