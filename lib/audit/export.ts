import type { Prisma } from "@/lib/generated/prisma/client";
import { CHAINED_COLUMN_NAMES } from "@/lib/audit/chain";
import { auditWhere } from "@/lib/audit/explore";
import type { AuditFilters } from "@/lib/audit/schemas";
import { bulkPool } from "@/lib/db";

/** The exported columns, in the order of the API's event view. */
const COLUMNS = CHAINED_COLUMN_NAMES;
const LEASE_VERSION = COLUMNS.indexOf("leaseVersion");
const PAYLOAD = COLUMNS.indexOf("payload");
/** Each column as text: seq as text (it outgrows JavaScript numbers), at as Date#toISOString() does it. */
const SELECT = COLUMNS.map((c) => (c === "at" ? `to_char(e."at", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')` : `e."${c}"::text`)).join(", ");
const CSV_ORDER = ["seq", "id", "at", "action", "actorType", "actorId", "actorLabel", "subjectType", "subjectId", "agentId", "runId", "leaseId", "escalationId", "decisionId", "leaseVersion", "tokenJti", "tool", "outcome", "payload"] as const;
const CSV_INDEX = CSV_ORDER.map((c) => COLUMNS.indexOf(c));
const BATCH = 10_000;

type Row = (string | null)[];

/** One batch of matching events after `after`, oldest first, every value as the text PostgreSQL sent. */
async function fetchRows(where: Prisma.Sql, after: string, limit: number): Promise<Row[]> {
  const values = where.values.map((v) => (v instanceof Date ? v.toISOString() : typeof v === "bigint" ? v.toString() : v));
  const n = values.length;
  const text = `SELECT ${SELECT} FROM "audit_events" e ${where.text ? `${where.text} AND` : "WHERE"} e."seq" > $${n + 1} ORDER BY e."seq" LIMIT $${n + 2}`;
  const result = await bulkPool().query<Row>({ text, values: [...values, after, limit], rowMode: "array", types: { getTypeParser: () => (v: string) => v } });
  return result.rows;
}

/**
 * A JSON line equal (parsed) to the API's view of the event. One JSON.stringify of a fixed-shape object
 * (V8's fast path) for the columns, then the payload spliced in as jsonb's own text, never parsed.
 */
function jsonLine(r: Row): string {
  // The keys in COLUMNS order, as the API's view has them.
  const head = JSON.stringify({
    seq: r[0], id: r[1], at: r[2], action: r[3], actorType: r[4], actorId: r[5], actorLabel: r[6], agentId: r[7], runId: r[8],
    leaseId: r[9], escalationId: r[10], decisionId: r[11], subjectType: r[12], subjectId: r[13],
    leaseVersion: r[LEASE_VERSION] === null ? null : Number(r[LEASE_VERSION]), tokenJti: r[15], tool: r[16], outcome: r[17],
  });
  return `${head.slice(0, -1)},"payload":${r[PAYLOAD]}}`;
}

/** A CSV cell, quoted when it must be; a value a spreadsheet would run as a formula is neutralised. */
export function csvCell(v: string | null): string {
  if (v === null) return "";
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) || safe !== v ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const csvLine = (r: Row) => CSV_INDEX.map((i) => csvCell(r[i]!)).join(",");

/**
 * A streamed export (JSON Lines or CSV) of the current filter, oldest first. Memory stays flat however
 * large the result: batches of 10,000 by keyset, the next read while this one is written out.
 */
export function exportStream(f: AuditFilters, format: "jsonl" | "csv", batch = BATCH): ReadableStream<Uint8Array> {
  const where = auditWhere(f);
  const read = (after: string) => {
    const p = fetchRows(where, after, batch);
    p.catch(() => {}); // awaited in pull; a cancelled export must not leave an unhandled rejection
    return p;
  };
  let pending: Promise<Row[]> | null = null;
  return new ReadableStream({
    start(controller) {
      if (format === "csv") controller.enqueue(Buffer.from(`${CSV_ORDER.join(",")}\n`));
      pending = read("0");
    },
    async pull(controller) {
      try {
        const rows = pending ? await pending : [];
        pending = rows.length === batch ? read(rows[rows.length - 1]![0]!) : null;
        if (rows.length) controller.enqueue(Buffer.from(`${rows.map(format === "jsonl" ? jsonLine : csvLine).join("\n")}\n`));
        if (!pending) controller.close();
      } catch (err) {
        controller.error(err);
      }
    },
    cancel() {
      pending = null;
    },
  });
}
