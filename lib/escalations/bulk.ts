import { z } from "zod";
import { AppError } from "@/lib/errors";
import type { Actor } from "@/lib/auth/permissions";
import type { Db } from "@/lib/db";
import { EscalationView } from "@/lib/escalations/schemas";
import { castVote } from "@/lib/escalations/vote";
import { IdOf } from "@/lib/schemas/common";

export const BULK_VOTE_MAX = 50;

export const BulkVoteRequest = z.strictObject({
  ids: z.array(IdOf("esc")).min(1, "choose at least one request").max(BULK_VOTE_MAX, `at most ${BULK_VOTE_MAX} requests at once`),
  verdict: z.enum(["approve", "deny"]),
  // One reason for every item: a bulk answer always says why, whichever way it goes.
  reason: z.string().trim().min(1, "say why (one reason for every request)").max(1000),
});
export type BulkVoteRequest = z.infer<typeof BulkVoteRequest>;

export const BulkVoteResult = z.object({
  id: z.string(),
  ok: z.boolean(),
  escalation: EscalationView.optional(),
  error: z.object({ code: z.string(), status: z.number(), message: z.string() }).optional(),
});
export const BulkVoteResponse = z.object({ results: z.array(BulkVoteResult), voted: z.number(), failed: z.number() });
export type BulkVoteResponse = z.infer<typeof BulkVoteResponse>;

/**
 * One verdict and reason over several requests, each an ordinary vote (castVote: its own transaction,
 * its own Vote row and audit events, every rule re-checked), one after another. High and critical
 * requests are refused item by item: they deserve one look each (and a fresh proof of presence).
 * Items settled meanwhile, gone or otherwise refused are reported per item; the rest still count.
 */
export async function bulkVote(db: Db, actor: Actor, input: BulkVoteRequest): Promise<BulkVoteResponse> {
  const results: z.infer<typeof BulkVoteResult>[] = [];
  for (const id of [...new Set(input.ids)]) {
    try {
      // The limit is checked inside the vote's transaction, on the risk it locks: a request whose tool
      // turned high since the queue was listed (here or on another instance) is refused, not approved.
      results.push({ id, ok: true, escalation: await castVote(db, actor, id, input.verdict, input.reason, { maxRisk: "medium" }) });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      results.push({ id, ok: false, error: { code: err.code, status: err.status, message: err.message } });
    }
  }
  const voted = results.filter((r) => r.ok).length;
  return { results, voted, failed: results.length - voted };
}
