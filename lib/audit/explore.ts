import { Prisma } from "@/lib/generated/prisma/client";
import { CHAINED_COLUMNS, type ChainedEvent } from "@/lib/audit/chain";
import type { AuditEventView, AuditFilters } from "@/lib/audit/schemas";
import type { Db } from "@/lib/db";

export const toAuditView = (e: ChainedEvent): AuditEventView => ({ ...e, seq: e.seq.toString(), at: e.at.toISOString() });

/** The text the free-text filter searches; the same expression as the GIN index of the init migration. */
const SEARCH_DOCUMENT = Prisma.raw(`to_tsvector('simple', "action" || ' ' || coalesce("actorLabel", '') || ' ' || coalesce("tool", '') || ' ' || "payload"::text)`);

/**
 * The WHERE clause of a filter. A time range also becomes a seq range, so that every filter walks a
 * (column, seq) index from the newest event: the seq bounds are exact outer bounds (the smallest seq
 * of any event at or after `from`, the largest at or before `to`), and the time predicate itself stays,
 * because clocks skew between instances and time need not grow with seq.
 */
export async function auditWhere(db: Db, f: AuditFilters, cursor?: bigint): Promise<Prisma.Sql> {
  const parts: Prisma.Sql[] = [];
  if (f.from) {
    const [r] = await db.$queryRaw<{ seq: bigint | null }[]>(Prisma.sql`SELECT min("seq") AS seq FROM "audit_events" WHERE "at" >= ${new Date(f.from)}`);
    parts.push(Prisma.sql`"seq" >= ${r?.seq ?? BigInt("9223372036854775807")}`, Prisma.sql`"at" >= ${new Date(f.from)}`);
  }
  if (f.to) {
    const [r] = await db.$queryRaw<{ seq: bigint | null }[]>(Prisma.sql`SELECT max("seq") AS seq FROM "audit_events" WHERE "at" <= ${new Date(f.to)}`);
    parts.push(Prisma.sql`"seq" <= ${r?.seq ?? 0n}`, Prisma.sql`"at" <= ${new Date(f.to)}`);
  }
  if (cursor !== undefined) parts.push(Prisma.sql`"seq" < ${cursor}`);
  if (f.actor) parts.push(Prisma.sql`("actorId" = ${f.actor} OR "actorLabel" = ${f.actor})`);
  const eq: [keyof AuditFilters, string][] = [["agentId", "agentId"], ["runId", "runId"], ["leaseId", "leaseId"], ["escalationId", "escalationId"], ["decisionId", "decisionId"], ["tool", "tool"], ["outcome", "outcome"], ["action", "action"]];
  for (const [key, column] of eq) if (f[key]) parts.push(Prisma.sql`${Prisma.raw(`"${column}"`)} = ${f[key]}`);
  if (f.q) parts.push(Prisma.sql`${SEARCH_DOCUMENT} @@ plainto_tsquery('simple', ${f.q})`);
  return parts.length ? Prisma.sql`WHERE ${Prisma.join(parts, " AND ")}` : Prisma.empty;
}

/** One page, newest first, with a keyset cursor (the last seq) that stays correct however many events share a timestamp. */
export async function listAuditEvents(db: Db, f: AuditFilters & { cursor?: string; limit: number }) {
  const where = await auditWhere(db, f, f.cursor ? BigInt(f.cursor) : undefined);
  const rows = await db.$queryRaw<ChainedEvent[]>(Prisma.sql`SELECT ${Prisma.raw(CHAINED_COLUMNS)} FROM "audit_events" ${where} ORDER BY "seq" DESC LIMIT ${f.limit + 1}`);
  const page = rows.slice(0, f.limit);
  return { events: page.map(toAuditView), nextCursor: rows.length > f.limit ? page[page.length - 1]!.seq.toString() : null };
}

/** Streams every matching event, oldest first, in batches: memory stays flat however large the result. */
export async function* streamAuditEvents(db: Db, f: AuditFilters, batch = 5_000): AsyncGenerator<ChainedEvent[]> {
  const where = await auditWhere(db, f);
  let after = 0n;
  for (;;) {
    const clause = where === Prisma.empty ? Prisma.sql`WHERE "seq" > ${after}` : Prisma.sql`${where} AND "seq" > ${after}`;
    const rows = await db.$queryRaw<ChainedEvent[]>(Prisma.sql`SELECT ${Prisma.raw(CHAINED_COLUMNS)} FROM "audit_events" ${clause} ORDER BY "seq" ASC LIMIT ${batch}`);
    if (!rows.length) return;
    yield rows;
    after = rows[rows.length - 1]!.seq;
    if (rows.length < batch) return;
  }
}

const CSV_COLUMNS = ["seq", "id", "at", "action", "actorType", "actorId", "actorLabel", "subjectType", "subjectId", "agentId", "runId", "leaseId", "escalationId", "decisionId", "leaseVersion", "tokenJti", "tool", "outcome", "payload"] as const;

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
  // Quote everything that needs it; neutralise spreadsheet formulas (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) || safe !== s ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** A streamed export (JSON Lines or CSV) of the current filter. */
export function exportStream(db: Db, f: AuditFilters, format: "jsonl" | "csv"): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const batches = streamAuditEvents(db, f);
  let headerSent = false;
  return new ReadableStream({
    async pull(controller) {
      if (format === "csv" && !headerSent) {
        headerSent = true;
        controller.enqueue(enc.encode(`${CSV_COLUMNS.join(",")}\n`));
        return;
      }
      try {
        const { value, done } = await batches.next();
        if (done) return controller.close();
        const text =
          format === "jsonl"
            ? value.map((e) => JSON.stringify(toAuditView(e))).join("\n") + "\n"
            : value.map((e) => { const v = toAuditView(e); return CSV_COLUMNS.map((c) => csvCell(v[c])).join(","); }).join("\n") + "\n";
        controller.enqueue(enc.encode(text));
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await batches.return(undefined);
    },
  });
}
