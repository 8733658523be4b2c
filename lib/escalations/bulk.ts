import { z } from "zod";
import { AppError, notFound } from "@/lib/errors";
import type { Actor } from "@/lib/auth/permissions";
import type { Db } from "@/lib/db";
import { EscalationView } from "@/lib/escalations/schemas";
import { castVote, riskOfEscalation } from "@/lib/escalations/vote";
import { IdOf } from "@/lib/schemas/common";
import { riskOf } from "@/lib/tools/risk";

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
      const e = await db.escalation.findUnique({ where: { id }, include: { lease: true } });
      if (!e) throw notFound(`escalation ${id}`);
      const risk = await riskOfEscalation(db, e);
      if (riskOf(risk) >= riskOf("high")) {
        throw new AppError("unprocessable", `escalation ${id} is ${risk} risk: answer it on its own, not in bulk`, [{ path: ["ids"], message: "risk_too_high" }]);
      }
      results.push({ id, ok: true, escalation: await castVote(db, actor, id, input.verdict, input.reason) });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      results.push({ id, ok: false, error: { code: err.code, status: err.status, message: err.message } });
    }
  }
  const voted = results.filter((r) => r.ok).length;
  return { results, voted, failed: results.length - voted };
}
