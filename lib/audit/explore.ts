import { Prisma } from "@/lib/generated/prisma/client";
import { AUDIT_ACTIONS } from "@/lib/audit/append";
import { CHAINED_COLUMNS, type ChainedEvent } from "@/lib/audit/chain";
import type { AuditEventView, AuditFilters } from "@/lib/audit/schemas";
import type { Db } from "@/lib/db";

export const toAuditView = (e: ChainedEvent): AuditEventView => ({ ...e, seq: e.seq.toString(), at: e.at.toISOString() });

/** The text the free-text filter searches; the same expression as the GIN index of the init migration. */
const SEARCH_DOCUMENT = Prisma.raw(`to_tsvector('simple', "action" || ' ' || coalesce("actorLabel", '') || ' ' || coalesce("tool", '') || ' ' || "payload"::text)`);

/**
 * The WHERE clause of a filter. Every filter walks a (column, seq, at) index from the newest event; a
 * time range is an index condition on the trailing "at", so events outside it are skipped inside the
 * index. (Deriving seq bounds from the time first cost two scans of up to the whole table: nothing
 * bounds how far "at" may stray from seq order, so the bounds could not be found through the at index.)
 */
export function auditWhere(f: AuditFilters, cursor?: bigint): Prisma.Sql {
  const parts: Prisma.Sql[] = [];
  if (f.from) parts.push(Prisma.sql`"at" >= ${new Date(f.from)}`);
  if (f.to) parts.push(Prisma.sql`"at" <= ${new Date(f.to)}`);
  if (cursor !== undefined) parts.push(Prisma.sql`"seq" < ${cursor}`);
  if (f.actor) parts.push(Prisma.sql`("actorId" = ${f.actor} OR "actorLabel" = ${f.actor})`);
  const eq: [keyof AuditFilters, string][] = [["agentId", "agentId"], ["runId", "runId"], ["leaseId", "leaseId"], ["escalationId", "escalationId"], ["decisionId", "decisionId"], ["tool", "tool"], ["outcome", "outcome"]];
  for (const [key, column] of eq) if (f[key]) parts.push(Prisma.sql`${Prisma.raw(`"${column}"`)} = ${f[key]}`);
  if (f.action) parts.push(Prisma.sql`"action" = ANY(${actionsMatching(f.action)})`);
  if (f.q) parts.push(Prisma.sql`${SEARCH_DOCUMENT} @@ plainto_tsquery('simple', ${f.q})`);
  return parts.length ? Prisma.sql`WHERE ${Prisma.join(parts, " AND ")}` : Prisma.empty;
}

/**
 * An event type, or a family or prefix of the known ones: "escalation" (or "escalation.", "escal")
 * finds every escalation.*. Expanded to the known actions, so it stays an equality on the action index.
 */
export function actionsMatching(action: string): string[] {
  const v = action.trim();
  const family = v.endsWith(".") ? v : `${v}.`;
  const matched = AUDIT_ACTIONS.filter((a) => a === v || a.startsWith(family));
  const loose = matched.length ? matched : AUDIT_ACTIONS.filter((a) => a.startsWith(v));
  return [...new Set([v, ...loose])];
}

/** Below this many estimated matches, a free-text page gathers every match through the GIN index and sorts them. */
const FEW_MATCHES = 20_000;

/**
 * One page, newest first, with a keyset cursor (the last seq) that stays correct however many events share a timestamp.
 * Free text is the one filter whose cost per row is high (a tsvector built per event): walking seq
 * backward and testing each event is right when many match, wrong when few do, and the planner cannot
 * tell which (it assumes matches are spread evenly). So ask its estimate of the matches first, and when
 * they are few, order by an expression (`seq + 0`) that no index provides: the planner then takes
 * them all from the GIN index and sorts them.
 */
export async function listAuditEvents(db: Db, f: AuditFilters & { cursor?: string; limit: number }) {
  const rows = await db.$queryRaw<ChainedEvent[]>(await auditPageSql(db, f));
  const page = rows.slice(0, f.limit);
  return { events: page.map(toAuditView), nextCursor: rows.length > f.limit ? page[page.length - 1]!.seq.toString() : null };
}

/** The query of one page (its limit + 1 rows tell whether another page follows); the benchmark EXPLAINs it. */
export async function auditPageSql(db: Db, f: AuditFilters & { cursor?: string; limit: number }): Promise<Prisma.Sql> {
  const where = auditWhere(f, f.cursor ? BigInt(f.cursor) : undefined);
  const order = f.q && (await estimatedRows(db, where)) < FEW_MATCHES ? Prisma.raw(`"seq" + 0`) : Prisma.raw(`"seq"`);
  return Prisma.sql`SELECT ${Prisma.raw(CHAINED_COLUMNS)} FROM "audit_events" ${where} ORDER BY ${order} DESC LIMIT ${f.limit + 1}`;
}

async function estimatedRows(db: Db, where: Prisma.Sql): Promise<number> {
  const [row] = await db.$queryRaw<{ "QUERY PLAN": [{ Plan: { "Plan Rows": number } }] }[]>(Prisma.sql`EXPLAIN (FORMAT JSON) SELECT 1 FROM "audit_events" ${where}`);
  return row?.["QUERY PLAN"]?.[0]?.Plan?.["Plan Rows"] ?? Number.POSITIVE_INFINITY;
}
