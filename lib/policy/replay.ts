import { performance } from "node:perf_hooks";
import { bulkPool, type Db } from "@/lib/db";
import type { Verdict } from "@/lib/decisions/evaluate";
import { AppError } from "@/lib/errors";
import { applyPolicy, type PolicyStamp } from "@/lib/policy/apply";
import { compilePolicySet, evaluatePolicy, type CompiledPolicySet, type PolicyResult } from "@/lib/policy/evaluate";
import { loadSchemaData } from "@/lib/policy/schema";
import type { PolicyProblem } from "@/lib/policy/text";

export const DEFAULT_REPLAY_LIMIT = 100_000;
/** The most changed decisions listed one by one (all are counted in changedTotal, byTool, byAgent). */
export const MAX_CHANGED_LISTED = 10_000;

/** A past decision, as replay reads it (slim: lease, agent and person rows are read once each). */
type Row = {
  id: string;
  tool: string;
  leaseId: string;
  resource: { type: string; id: string; attributes?: Record<string, string | number | boolean> } | null;
  environment: string | null;
  outcome: Verdict["outcome"];
  firstCode: string | null;
  approvalId: string | null;
  argumentsDigest: string | null;
  /** the lease rules' outcome recorded beside the policy's (PolicyStamp.lease); null: no policy then */
  leaseOutcome: PolicyStamp["lease"] | null;
  determinedBy: string[] | null;
  /** createdAt, in ms since the epoch (a number: pg's parsing of 100,000 timestamps was a tenth of a replay) */
  at: number;
  /** the lease's allows before this decision within the replayed range (counted here, not by a window in SQL) */
  allowsBefore: number;
};

type LeaseFacts = {
  id: string;
  runId: string;
  agentId: string;
  purpose: string;
  taskRef: string | null;
  environment: string;
  depth: number;
  maxToolCalls: number;
  agentName: string;
  agentStatus: string;
  agentEnvironments: string[];
  delegatorId: string | null;
  delegatorEmail: string | null;
  delegatorRole: string | null;
  delegatorStatus: string | null;
  delegatorGroups: string[];
};

export function compileDraft(text: string, data: Awaited<ReturnType<typeof loadSchemaData>>): CompiledPolicySet {
  const c = compilePolicySet(text, data);
  if (!c.ok) throw invalidDraft(c.errors);
  return c.set;
}

export const invalidDraft = (errors: PolicyProblem[]) =>
  new AppError("unprocessable", `the policy does not validate: ${errors[0]!.message}`, errors.map((e) => ({ path: ["text", ...(e.line ? [e.line] : [])], message: e.policyId ? `${e.policyId}: ${e.message}` : e.message })));

/**
 * POST /api/v1/policies/replay: past decisions (newest first, within since/until, at most `limit`)
 * evaluated again under a draft, from what is stored: the decision row (tool, resource, context,
 * arguments digest, approval, the lease rules' outcome recorded beside the policy's) and the lease,
 * agent and person rows. A decision the lease rules denied stays denied; the others take the draft's
 * answer combined as a live decision would (applyPolicy). Read-only: one SELECT, nothing written.
 *
 * What is not as it was: the agent's and the delegator's status, role and groups are today's; the remaining
 * budget is the leaf lease's, counted from the allows inside the replayed range.
 */
export async function replayPolicy(db: Db, input: { text: string; since?: string; until?: string; limit?: number }) {
  // One replay at a time per instance: it is seconds of CPU, and this process also answers decisions.
  if (running) throw new AppError("rate_limited", "a replay is already running on this instance; try again shortly", undefined, 5);
  running = true;
  try {
    return await replay(db, input);
  } finally {
    running = false;
  }
}

let running = false;
/** Evaluating is synchronous: give the event loop back this often, so decisions served by this process wait at most about that long. */
const YIELD_EVERY_MS = 10;

async function replay(db: Db, input: { text: string; since?: string; until?: string; limit?: number }) {
  const started = performance.now();
  const set = compileDraft(input.text, await loadSchemaData(db));
  const limit = input.limit ?? DEFAULT_REPLAY_LIMIT;
  const since = input.since ? new Date(input.since) : new Date(0);
  const until = input.until ? new Date(input.until) : new Date("9999-12-31T00:00:00Z");
  // Many rows, read as plain values through the bulk pool (Prisma's typed rows cost most of the time).
  const pool = bulkPool();
  const { rows } = await pool.query<Row>(
    `WITH d AS (
       SELECT * FROM "decisions"
       -- stored as UTC wall times: compared and read as such, whatever this process's or session's time zone
       WHERE "createdAt" >= ($1::timestamptz AT TIME ZONE 'UTC') AND "createdAt" < ($2::timestamptz AT TIME ZONE 'UTC') AND "leaseId" IS NOT NULL
       ORDER BY "createdAt" DESC, "id" DESC LIMIT $3
     )
     SELECT "id", "tool", "leaseId", "resource", "context" ->> 'environment' AS "environment", "outcome", "reasons" -> 0 ->> 'code' AS "firstCode",
       "approvalId", "argumentsDigest", "policy" ->> 'lease' AS "leaseOutcome", "policy" -> 'determinedBy' AS "determinedBy",
       (extract(epoch FROM "createdAt") * 1000)::float8 AS "at"
     FROM d`,
    [since.toISOString(), until.toISOString(), limit],
  );
  // Newest first: walked oldest first, each lease's allows so far are the ones before the row.
  const allows = new Map<string, number>();
  for (let i = rows.length - 1; i >= 0; i--) {
    const r = rows[i]!;
    const n = allows.get(r.leaseId) ?? 0;
    r.allowsBefore = n;
    if (r.outcome === "allow") allows.set(r.leaseId, n + 1);
  }
  const leaseIds = [...new Set(rows.map((r) => r.leaseId))];
  const facts = new Map(
    (
      await pool.query<LeaseFacts>(
        `SELECT l."id", l."runId", l."agentId", l."purpose", l."taskRef", l."environment", l."depth", l."maxToolCalls",
           a."name" AS "agentName", a."status" AS "agentStatus", a."environments" AS "agentEnvironments",
           u."id" AS "delegatorId", u."email" AS "delegatorEmail", u."role" AS "delegatorRole", u."status" AS "delegatorStatus",
           ARRAY(SELECT g."name" FROM "group_members" m JOIN "groups" g ON g."id" = m."groupId" WHERE m."userId" = u."id" ORDER BY g."name") AS "delegatorGroups"
         FROM "leases" l JOIN "agents" a ON a."id" = l."agentId" LEFT JOIN "users" u ON u."id" = l."delegatorId"
         WHERE l."id" = ANY($1::text[])`,
        [leaseIds],
      )
    ).rows.map((l) => [l.id, l]),
  );
  const loadMs = Math.round(performance.now() - started);
  const memo = new Map<string, PolicyResult>();
  const changed: { decisionId: string; runId: string; leaseId: string; tool: string; agentId: string | null; at: string; from: string; to: string; policyIds: string[] }[] = [];
  const byTool: Record<string, number> = {};
  const byAgent: Record<string, number> = {};
  let changedTotal = 0;
  let slice = performance.now();
  for (const r of rows) {
    if (performance.now() - slice > YIELD_EVERY_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      slice = performance.now();
    }
    const lease = facts.get(r.leaseId);
    const to = lease ? replayOne(set, r, lease, memo) : null;
    if (!to || to.outcome === r.outcome) continue;
    changedTotal++;
    byTool[r.tool] = (byTool[r.tool] ?? 0) + 1;
    byAgent[lease!.agentId] = (byAgent[lease!.agentId] ?? 0) + 1;
    if (changed.length < MAX_CHANGED_LISTED) {
      const policyIds = to.determinedBy.length ? to.determinedBy : (r.determinedBy ?? []);
      changed.push({ decisionId: r.id, runId: lease!.runId, leaseId: r.leaseId, tool: r.tool, agentId: lease!.agentId, at: new Date(r.at).toISOString(), from: r.outcome, to: to.outcome, policyIds });
    }
  }
  return { evaluated: rows.length, changed, changedTotal, byTool, byAgent, ms: Math.round(performance.now() - started), loadMs };
}

/** The outcome one past decision would have under the draft; null: it cannot change (the lease rules denied it). */
export function replayOne(set: CompiledPolicySet, r: Row, l: LeaseFacts, memo?: Map<string, PolicyResult>): { outcome: Verdict["outcome"]; determinedBy: string[] } | null {
  const leaseOutcome = r.leaseOutcome ?? r.outcome;
  // An approval that did not hold is a deny of the commit, not of a rule: what it would have been is unknown.
  if (leaseOutcome === "deny" || r.firstCode === "approval_invalid") return null;
  const policy = evaluatePolicy(
    set,
    {
      tool: r.tool,
      runId: l.runId,
      agent: { id: l.agentId, name: l.agentName, status: l.agentStatus, environments: l.agentEnvironments },
      delegator: l.delegatorId ? { id: l.delegatorId, email: l.delegatorEmail ?? "", role: l.delegatorRole ?? "", status: l.delegatorStatus ?? "", groups: l.delegatorGroups } : null,
      lease: { id: l.id, purpose: l.purpose, taskRef: l.taskRef, environment: l.environment, depth: l.depth },
      resource: r.resource,
      environment: r.environment ?? l.environment,
      at: new Date(r.at),
      remainingToolCalls: Math.max(0, l.maxToolCalls - r.allowsBefore),
      approved: r.approvalId !== null,
      argumentsDigest: r.argumentsDigest,
    },
    memo,
  );
  const approvalId = r.approvalId ?? undefined;
  // A presented approval satisfies a policy escalate whether or not the lease rules asked for it (applyPolicy).
  const lease: Verdict = { outcome: leaseOutcome, reasons: [] };
  return { outcome: applyPolicy(lease, policy, r.tool, approvalId).outcome, determinedBy: policy.determinedBy };
}
