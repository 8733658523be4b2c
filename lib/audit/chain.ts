import { createHash } from "node:crypto";

/**
 * The audit hash chain. PostgreSQL computes each event's digest (`lanyard_audit_digest`, migration
 * 20261123160000) and the sealer links them:
 *
 *   h(0) = 32 zero bytes
 *   h(n) = SHA-256(h(n-1) || digest(event n))        for a committed event
 *   h(n) = SHA-256(h(n-1) || "gap:" || n)             for a seq whose insert rolled back
 *
 * Each link depends only on its event and the stored hash before it, so verify checks every link
 * independently, in parallel, in the database. `eventDigest` below is the digest in TypeScript, for
 * anyone re-checking an export outside Lanyard; the tests hold it to the database's.
 */
export const GENESIS = "0".repeat(64);

/** The columns of an audit event that the chain protects: all of them but the transaction id. */
export type ChainedEvent = {
  seq: bigint;
  id: string;
  at: Date;
  action: string;
  actorType: string;
  actorId: string | null;
  actorLabel: string | null;
  agentId: string | null;
  runId: string | null;
  leaseId: string | null;
  escalationId: string | null;
  decisionId: string | null;
  subjectType: string | null;
  subjectId: string | null;
  leaseVersion: number | null;
  tokenJti: string | null;
  tool: string | null;
  outcome: string | null;
  payload: unknown;
};

/** The chained columns in order: the digest's, the API view's and the export's. */
export const CHAINED_COLUMN_NAMES = ["seq", "id", "at", "action", "actorType", "actorId", "actorLabel", "agentId", "runId", "leaseId", "escalationId", "decisionId", "subjectType", "subjectId", "leaseVersion", "tokenJti", "tool", "outcome", "payload"] as const;
export const CHAINED_COLUMNS = CHAINED_COLUMN_NAMES.map((c) => `"${c}"`).join(", ");

/** h(n) for a committed event, from h(n-1) (hex) and the event's digest (32 bytes). */
export function linkHash(prev: string, digest: Buffer): string {
  return createHash("sha256").update(Buffer.from(prev, "hex")).update(digest).digest("hex");
}

/** h(n) for a seq sealed as a gap. */
export function gapHash(prev: string, seq: bigint): string {
  return createHash("sha256").update(Buffer.from(prev, "hex")).update(`gap:${seq}`).digest("hex");
}

// PostgreSQL type oids of the digested columns, in CHAINED_COLUMNS order.
const INT8 = 20, TEXT = 25, INT4 = 23, TIMESTAMP = 1114, JSONB = 3802;
const OIDS = [INT8, TEXT, TIMESTAMP, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, INT4, TEXT, TEXT, TEXT, JSONB];
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);

/**
 * `lanyard_audit_digest` in TypeScript: SHA-256 of PostgreSQL's binary record form of the event (see
 * the migration). Exact for payloads as Lanyard writes them (JSON.stringify'd numbers).
 */
export function eventDigest(e: ChainedEvent): Buffer {
  const values: unknown[] = [e.seq, e.id, e.at, e.action, e.actorType, e.actorId, e.actorLabel, e.agentId, e.runId, e.leaseId, e.escalationId, e.decisionId, e.subjectType, e.subjectId, e.leaseVersion, e.tokenJti, e.tool, e.outcome, e.payload];
  const parts: Buffer[] = [int32(values.length)];
  values.forEach((v, i) => {
    const oid = OIDS[i]!;
    parts.push(int32(oid));
    // payload is NOT NULL: a null there is JSON's null, which jsonb stores as a value.
    if ((v === null || v === undefined) && oid !== JSONB) return parts.push(int32(-1));
    const bytes =
      oid === INT8 ? int64(BigInt(v as bigint)) :
      oid === INT4 ? int32(v as number) :
      oid === TIMESTAMP ? int64(BigInt((v as Date).getTime() - PG_EPOCH_MS) * 1000n) :
      oid === JSONB ? Buffer.concat([Buffer.of(1), Buffer.from(jsonbText(v), "utf8")]) :
      Buffer.from(v as string, "utf8");
    parts.push(int32(bytes.length), bytes);
  });
  return createHash("sha256").update(Buffer.concat(parts)).digest();
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function int64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
}

/**
 * jsonb's text form: object keys ordered by byte length, then bytes (jsonb's own order), ", " and
 * ": " between items, strings escaped as JSON.stringify does, numbers in plain decimal (numeric).
 */
export function jsonbText(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "string" || typeof v === "boolean") return JSON.stringify(v);
  if (typeof v === "number") return plainDecimal(v);
  if (Array.isArray(v)) return `[${v.map(jsonbText).join(", ")}]`;
  const entries = Object.entries(v as Record<string, unknown>).map(([k, x]) => [Buffer.from(k, "utf8"), k, x] as const);
  entries.sort(([a], [b]) => a.length - b.length || Buffer.compare(a, b));
  return `{${entries.map(([, k, x]) => `${JSON.stringify(k)}: ${jsonbText(x)}`).join(", ")}}`;
}

/** A finite number as PostgreSQL's numeric prints what JSON.stringify wrote: no exponent. */
function plainDecimal(n: number): string {
  if (!Number.isFinite(n)) throw new Error("JSON has no NaN or Infinity");
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(n))!;
  if (!m[4]) return m[0] === "-0" ? "0" : m[0];
  const [sign, int, frac = ""] = [m[1]!, m[2]!, m[3]];
  const digits = int + frac;
  const point = int.length + Number(m[4]);
  if (point >= digits.length) return sign + digits + "0".repeat(point - digits.length);
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}
