import { Prisma } from "@/lib/generated/prisma/client";
import type { Tx } from "@/lib/db";
import { newId } from "@/lib/ids";

export type AuditActor =
  | { type: "user"; id: string; label: string }
  | { type: "enforcement_point"; id: string; label: string }
  | { type: "agent_run"; id: string; label?: string }
  | { type: "system"; id?: string; label?: string };

export type AuditInput = {
  action: string;
  actor: AuditActor;
  subject?: { type: string; id: string };
  agentId?: string | null;
  runId?: string | null;
  leaseId?: string | null;
  escalationId?: string | null;
  decisionId?: string | null;
  leaseVersion?: number | null;
  tokenJti?: string | null;
  tool?: string | null;
  outcome?: string | null;
  payload?: Record<string, unknown>;
};

/**
 * The one way to append an audit event. It takes the caller's transaction so that the event commits
 * with the change it records, or not at all.
 */
export async function appendAudit(tx: Tx, e: AuditInput): Promise<string> {
  const id = newId("evt");
  await tx.auditEvent.create({ data: auditRow(id, e) });
  return id;
}

export function auditRow(id: string, e: AuditInput): Prisma.AuditEventCreateManyInput {
  return {
    id,
    action: e.action,
    actorType: e.actor.type,
    actorId: e.actor.id ?? null,
    actorLabel: e.actor.label ?? null,
    subjectType: e.subject?.type ?? null,
    subjectId: e.subject?.id ?? null,
    agentId: e.agentId ?? null,
    runId: e.runId ?? null,
    leaseId: e.leaseId ?? null,
    escalationId: e.escalationId ?? null,
    decisionId: e.decisionId ?? null,
    leaseVersion: e.leaseVersion ?? null,
    tokenJti: e.tokenJti ?? null,
    tool: e.tool ?? null,
    outcome: e.outcome ?? null,
    payload: (e.payload ?? {}) as Prisma.InputJsonValue,
  };
}

/** Only the fields that changed, as `{ field: { from, to } }`, for update events. */
export function changes<T extends Record<string, unknown>>(before: T, after: Partial<T>): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const [k, to] of Object.entries(after)) {
    if (to === undefined) continue;
    const from = before[k];
    if (JSON.stringify(from) !== JSON.stringify(to)) out[k] = { from, to };
  }
  return out;
}

const AUDIT_COLUMNS = Prisma.sql`("id", "at", "action", "actorType", "actorId", "actorLabel", "subjectType", "subjectId", "agentId", "runId", "leaseId", "escalationId", "decisionId", "leaseVersion", "tokenJti", "tool", "outcome", "payload")`;

/**
 * The same audit rows as raw SQL, for the decision hot path that commits a decision and its events
 * in a single statement. Returns `INSERT INTO audit_events (…) VALUES …`.
 */
export function auditInsertSql(rows: { id: string; at: Date; event: AuditInput }[]): Prisma.Sql {
  const values = rows.map(({ id, at, event }) => {
    const r = auditRow(id, event);
    return Prisma.sql`(${r.id}, ${at}, ${r.action}, ${r.actorType}, ${r.actorId}, ${r.actorLabel}, ${r.subjectType}, ${r.subjectId}, ${r.agentId}, ${r.runId}, ${r.leaseId}, ${r.escalationId}, ${r.decisionId}, ${r.leaseVersion}::integer, ${r.tokenJti}, ${r.tool}, ${r.outcome}, ${JSON.stringify(r.payload)}::jsonb)`;
  });
  return Prisma.sql`INSERT INTO "audit_events" ${AUDIT_COLUMNS} VALUES ${Prisma.join(values)}`;
}
