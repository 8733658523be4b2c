import { Prisma } from "@/lib/generated/prisma/client";
import type { Tx } from "@/lib/db";
import { newId } from "@/lib/ids";

export type AuditActor =
  | { type: "user"; id: string; label: string }
  | { type: "enforcement_point"; id: string; label: string }
  | { type: "agent_run"; id: string; label?: string }
  | { type: "system"; id?: string; label?: string };

/**
 * Every action an audit event may record: the one list, so that a filter, a report or a reader of the
 * export can know them all, and a misspelt action does not compile.
 */
export const AUDIT_ACTIONS = [
  "decision", "decision.outcome",
  "lease.issued", "lease.requested", "lease.delegated", "lease.grant_added", "lease.extended", "lease.approved", "lease.denied", "lease.revoked", "lease.ended",
  "escalation.created", "escalation.voted", "escalation.vote_withdrawn", "escalation.decided", "escalation.cancelled", "escalation.consumed",
  "agent.created", "agent.updated", "agent.suspended", "agent.retired", "agent.reactivated",
  "person.created", "person.updated", "person.role_changed", "person.disabled",
  "group.created", "group.updated", "group.deleted", "group.member_added", "group.member_removed", "group.sso_synced",
  "entitlement.created", "entitlement.deleted",
  "enforcement_point.created", "enforcement_point.revoked",
  "tool.created", "tool.updated",
  "webhook.created", "webhook.deleted", "webhook.secret_encrypted", "webhook.secret_rewrapped",
  "approval_route.created", "approval_route.updated", "approval_route.deleted",
  "notification.sent", "notification.failed",
  "connection.created", "connection.updated", "connection.deleted", "connection.tested",
  "policy.published",
  "credential.created", "credential.rotated", "credential.retired", "credential.released", "credential.login_dropped",
  "signing_key.created", "signing_key.encrypted", "signing_key.rewrapped", "signing_key.retired", "signing_key.revoked",
  "auth.sign_in", "auth.sign_in_failed", "auth.sign_in_throttled", "auth.reauth", "auth.reauth_failed",
  "passkey.registered", "passkey.renamed", "passkey.removed",
  "review.reminded",
  "demo.seeded",
  // Written only by tests (a tampering target, a rolled-back write); never by the product.
  "test.event",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** The columns every writer fills, in this order: appendAudit, createMany, auditInsertSql, auditInsertSelectSql. */
export const AUDIT_COLUMNS = ["id", "at", "action", "actorType", "actorId", "actorLabel", "subjectType", "subjectId", "agentId", "runId", "leaseId", "escalationId", "decisionId", "leaseVersion", "tokenJti", "tool", "outcome", "payload"] as const;
export type AuditColumn = (typeof AUDIT_COLUMNS)[number];

export type AuditInput = {
  action: AuditAction;
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

/** An event as a row of `audit_events`: every column of AUDIT_COLUMNS but `at` (the database's now(), unless a writer sets it). */
export function auditRow(id: string, e: AuditInput): { [C in Exclude<AuditColumn, "at">]-?: Prisma.AuditEventCreateManyInput[C] } {
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

const COLUMNS_SQL = Prisma.raw(`(${AUDIT_COLUMNS.map((c) => `"${c}"`).join(", ")})`);

// Parameters carry their column's type, so that an INSERT … SELECT (where PostgreSQL cannot infer it) works too.
const CAST: Record<AuditColumn, string> = { id: "text", at: "timestamp(3)", action: "text", actorType: "text", actorId: "text", actorLabel: "text", subjectType: "text", subjectId: "text", agentId: "text", runId: "text", leaseId: "text", escalationId: "text", decisionId: "text", leaseVersion: "integer", tokenJti: "text", tool: "text", outcome: "text", payload: "jsonb" };

function values(id: string, at: Date, event: AuditInput): Record<AuditColumn, Prisma.Sql> {
  const r = { ...auditRow(id, event), at };
  return Object.fromEntries(AUDIT_COLUMNS.map((c) => [c, Prisma.sql`${c === "payload" ? JSON.stringify(r.payload) : r[c]}::${Prisma.raw(CAST[c])}`])) as Record<AuditColumn, Prisma.Sql>;
}

/**
 * The same audit rows as raw SQL, for the decision hot path that commits a decision and its events
 * in a single statement. Returns `INSERT INTO audit_events (…) VALUES …`.
 */
export function auditInsertSql(rows: { id: string; at: Date; event: AuditInput }[]): Prisma.Sql {
  const tuples = rows.map(({ id, at, event }) => {
    const v = values(id, at, event);
    return Prisma.sql`(${Prisma.join(AUDIT_COLUMNS.map((c) => v[c]))})`;
  });
  return Prisma.sql`INSERT INTO "audit_events" ${COLUMNS_SQL} VALUES ${Prisma.join(tuples)}`;
}

/**
 * Audit rows that SQL computes, one per row of `from`, for a statement that must stay one statement
 * (the lease.ended events of the leases a decision exhausts): `event` gives every column, and `perRow`
 * replaces some with SQL expressions over `from`. Returns `INSERT INTO audit_events (…) SELECT … FROM …`.
 */
export function auditInsertSelectSql(event: { at: Date; event: AuditInput }, perRow: Partial<Record<AuditColumn, Prisma.Sql>>, from: Prisma.Sql): Prisma.Sql {
  const v = { ...values("", event.at, event.event), ...perRow };
  return Prisma.sql`INSERT INTO "audit_events" ${COLUMNS_SQL} SELECT ${Prisma.join(AUDIT_COLUMNS.map((c) => v[c]))} FROM ${from}`;
}
