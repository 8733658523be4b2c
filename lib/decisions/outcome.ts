import { Prisma } from "@/lib/generated/prisma/client";
import { auditInsertSelectSql } from "@/lib/audit/append";
import type { EnforcementPointActor } from "@/lib/auth/enforcement-point";
import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";
import { epActor } from "@/lib/decisions/decide";
import type { OutcomeRequest, OutcomeView } from "@/lib/decisions/schemas";
import { conflict, forbidden, notFound } from "@/lib/errors";
import { announceRuns } from "@/lib/events/bus";
import { newId } from "@/lib/ids";

type Row = { id: string; leaseId: string | null; runId: string | null; agentId: string | null; tool: string; outcome: string; enforcementPointId: string | null; leaseVersion: number | null; tokenJti: string | null; reported: Date | null };

/**
 * POST /api/v1/decisions/{id}/outcome: what happened after an allowed call, as the key that received
 * the allow reports it — once. The decision row never changes: the outcome is its own row, whose
 * primary key (the decision) makes "once" hold under concurrency (the insert that loses finds the
 * winner's row and answers 409). The outcome and its decision.outcome audit event are written by one
 * statement (one round trip, atomic: an MCP gateway reports after every allowed call, so this is as
 * frequent as allows). Accepted whatever the lease's state now: the call was allowed while it was live.
 */
export async function recordOutcome(db: Db, ep: EnforcementPointActor, decisionId: string, input: OutcomeRequest): Promise<{ outcome: OutcomeView }> {
  const at = now();
  const payload = { status: input.status, resultDigest: input.resultDigest ?? null, durationMs: input.durationMs ?? null, summary: input.summary ?? null };
  // Only when the outcome row went in (ins has a row): the event's subject columns come from the decision.
  const audit = auditInsertSelectSql(
    { at, event: { action: "decision.outcome", actor: epActor(ep), subject: { type: "decision", id: decisionId }, decisionId, outcome: input.status, payload } },
    { id: Prisma.sql`${newId("evt")}::text`, agentId: Prisma.sql`d."agentId"`, runId: Prisma.sql`d."runId"`, leaseId: Prisma.sql`d."leaseId"`, leaseVersion: Prisma.sql`d."leaseVersion"`, tokenJti: Prisma.sql`d."tokenJti"`, tool: Prisma.sql`d."tool"` },
    Prisma.sql`d JOIN ins ON true`,
  );
  const [d] = await db.$queryRaw<Row[]>(Prisma.sql`
    WITH d AS (
      SELECT "id", "leaseId", "runId", "agentId", "tool", "outcome", "enforcementPointId", "leaseVersion", "tokenJti" FROM "decisions" WHERE "id" = ${decisionId}
    ), ins AS (
      INSERT INTO "decision_outcomes" ("decisionId", "enforcementPointId", "status", "resultDigest", "durationMs", "summary", "createdAt")
      SELECT d."id", ${ep.id}, ${input.status}, ${input.resultDigest ?? null}, ${input.durationMs ?? null}::double precision, ${input.summary ?? null}, ${at}
      FROM d WHERE d."outcome" = 'allow' AND d."enforcementPointId" = ${ep.id}
      ON CONFLICT ("decisionId") DO NOTHING
      RETURNING "createdAt"
    ), a AS (${audit})
    SELECT d.*, (SELECT "createdAt" FROM ins) AS "reported" FROM d`);
  if (!d) throw notFound(`decision ${decisionId}`);
  if (d.enforcementPointId !== ep.id) throw forbidden(`decision ${decisionId} was made for another enforcement point: only the key that asked reports its outcome`);
  if (d.outcome !== "allow") throw conflict(`decision ${decisionId} was ${d.outcome}: an outcome is reported only after an allow`);
  if (!d.reported) throw conflict(`the outcome of decision ${decisionId} was already reported`);
  announceRuns(db, [d.runId]);
  return { outcome: { decisionId: d.id, ...payload, at: at.toISOString() } };
}
