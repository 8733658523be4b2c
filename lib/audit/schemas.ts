import { z } from "zod";
import { IsoDate, IsoTime, Seq, Text } from "@/lib/schemas/common";

/** The audit filters, shared by the explorer's URL, GET /api/v1/audit/events and the export. */
export const AuditFilters = z.object({
  from: IsoTime.optional().describe("events at or after this time"),
  to: IsoTime.optional().describe("events at or before this time"),
  actor: Text(320).optional().describe("an actor id (usr_, ep_, run_) or an actor label such as an email"),
  agentId: Text(64).optional(),
  runId: Text(64).optional(),
  leaseId: Text(64).optional(),
  escalationId: Text(64).optional(),
  decisionId: Text(64).optional(),
  tool: Text(100).optional(),
  outcome: Text(20).optional().describe("allow | deny | escalate, or a vote/settlement outcome"),
  action: Text(60).optional().describe("event type, e.g. lease.revoked, or a family: escalation finds every escalation.*"),
  q: Text(200).trim().min(1).optional().describe("free text over action, actor, tool and payload"),
});
export type AuditFilters = z.infer<typeof AuditFilters>;

/** A reversed range would silently match nothing: refuse it, once, at To. */
function rangeInOrder(f: { from?: string; to?: string }, ctx: z.RefinementCtx) {
  if (f.from && f.to && Date.parse(f.to) < Date.parse(f.from)) ctx.addIssue({ code: "custom", path: ["to"], message: "must not be before From" });
}
/** The filters with their range checked (the page's first render; the routes' queries check it too). */
export const AuditFilterQuery = AuditFilters.superRefine(rangeInOrder);
export const AuditPageQuery = AuditFilters.extend({
  cursor: Seq.optional().describe("a seq from nextCursor"),
  limit: z.coerce.number().int().min(1).max(500).default(50),
}).superRefine(rangeInOrder);
export const AuditExportQuery = AuditFilters.extend({ format: z.enum(["jsonl", "csv"]).default("jsonl") }).superRefine(rangeInOrder);
export const AuditVerifyQuery = z.object({
  from: z.union([Seq, IsoTime, IsoDate]).optional().describe("a seq, or an ISO time"),
  to: z.union([Seq, IsoTime, IsoDate]).optional().describe("a seq, or an ISO time"),
  checkpoint: z.string().max(4000).optional().describe("a witness's latest checkpoint (its compact JWS): verify fails if the chain no longer reaches it or differs from it"),
});

export const AuditEventView = z.object({
  seq: z.string(),
  id: z.string(),
  at: z.string(),
  action: z.string(),
  actorType: z.string(),
  actorId: z.string().nullable(),
  actorLabel: z.string().nullable(),
  subjectType: z.string().nullable(),
  subjectId: z.string().nullable(),
  agentId: z.string().nullable(),
  runId: z.string().nullable(),
  leaseId: z.string().nullable(),
  escalationId: z.string().nullable(),
  decisionId: z.string().nullable(),
  leaseVersion: z.number().nullable(),
  tokenJti: z.string().nullable(),
  tool: z.string().nullable(),
  outcome: z.string().nullable(),
  payload: z.unknown(),
});
export type AuditEventView = z.infer<typeof AuditEventView>;
