import { Prisma } from "@/lib/generated/prisma/client";
import { appendAudit } from "@/lib/audit/append";
import type { EnforcementPointActor } from "@/lib/auth/enforcement-point";
import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";
import { epActor } from "@/lib/decisions/decide";
import type { OutcomeRequest, OutcomeView } from "@/lib/decisions/schemas";
import { conflict, forbidden, notFound } from "@/lib/errors";
import { announceRuns } from "@/lib/events/bus";

type Row = { id: string; leaseId: string | null; runId: string | null; agentId: string | null; tool: string; outcome: string; enforcementPointId: string | null; leaseVersion: number | null; tokenJti: string | null; reported: Date | null };

/**
 * POST /api/v1/decisions/{id}/outcome: what happened after an allowed call, as the key that received
 * the allow reports it — once. The decision row never changes: the outcome is its own row, whose
 * primary key (the decision) makes "once" hold under concurrency (the insert that loses finds the
 * winner's row and answers 409). Audited as decision.outcome in the same transaction. Accepted
 * whatever the lease's state now: the call was allowed while it was live.
 */
export async function recordOutcome(db: Db, ep: EnforcementPointActor, decisionId: string, input: OutcomeRequest): Promise<{ outcome: OutcomeView }> {
  const at = now();
  const result = await db.$transaction(async (tx) => {
    const [d] = await tx.$queryRaw<Row[]>(Prisma.sql`
      WITH d AS (
        SELECT "id", "leaseId", "runId", "agentId", "tool", "outcome", "enforcementPointId", "leaseVersion", "tokenJti" FROM "decisions" WHERE "id" = ${decisionId}
      ), ins AS (
        INSERT INTO "decision_outcomes" ("decisionId", "enforcementPointId", "status", "resultDigest", "durationMs", "summary", "createdAt")
        SELECT d."id", ${ep.id}, ${input.status}, ${input.resultDigest ?? null}, ${input.durationMs ?? null}::double precision, ${input.summary ?? null}, ${at}
        FROM d WHERE d."outcome" = 'allow' AND d."enforcementPointId" = ${ep.id}
        ON CONFLICT ("decisionId") DO NOTHING
        RETURNING "createdAt"
      )
      SELECT d.*, (SELECT "createdAt" FROM ins) AS "reported" FROM d`);
    if (!d) throw notFound(`decision ${decisionId}`);
    if (d.enforcementPointId !== ep.id) throw forbidden(`decision ${decisionId} was made for another enforcement point: only the key that asked reports its outcome`);
    if (d.outcome !== "allow") throw conflict(`decision ${decisionId} was ${d.outcome}: an outcome is reported only after an allow`);
    if (!d.reported) throw conflict(`the outcome of decision ${decisionId} was already reported`);
    await appendAudit(tx, {
      action: "decision.outcome",
      actor: epActor(ep),
      subject: { type: "decision", id: d.id },
      agentId: d.agentId,
      runId: d.runId,
      leaseId: d.leaseId,
      decisionId: d.id,
      leaseVersion: d.leaseVersion,
      tokenJti: d.tokenJti,
      tool: d.tool,
      outcome: input.status,
      payload: { status: input.status, resultDigest: input.resultDigest ?? null, durationMs: input.durationMs ?? null, summary: input.summary ?? null },
    });
    return d;
  });
  announceRuns(db, [result.runId]);
  return { outcome: { decisionId: result.id, status: input.status, resultDigest: input.resultDigest ?? null, durationMs: input.durationMs ?? null, summary: input.summary ?? null, at: at.toISOString() } };
}
