import { createHash } from "node:crypto";
import { canonicalJson } from "@/lib/audit/canonical";

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

export const CHAINED_COLUMNS = `"seq", "id", "at", "action", "actorType", "actorId", "actorLabel", "agentId", "runId", "leaseId", "escalationId", "decisionId", "subjectType", "subjectId", "leaseVersion", "tokenJti", "tool", "outcome", "payload"`;

/** h(n) = sha256(h(n-1) || canonical JSON of event n). A gap seals the sequence number itself. */
export function chainHash(prev: string, e: ChainedEvent): string {
  return createHash("sha256").update(prev).update(canonicalJson({ ...e, seq: e.seq.toString(), at: e.at.toISOString() })).digest("hex");
}

export function gapHash(prev: string, seq: bigint): string {
  return createHash("sha256").update(prev).update(`gap:${seq}`).digest("hex");
}
