import { performance } from "node:perf_hooks";
import type pg from "pg";
import { AUDIT_COLUMNS, auditRow, type AuditInput } from "@/lib/audit/append";
import { noteAgentSeen } from "@/lib/agents/last-seen";
import type { EnforcementPointActor } from "@/lib/auth/enforcement-point";
import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";
import {
  decide,
  decisionAudit,
  decisionRecord,
  elapsed,
  epActor,
  evaluateChain,
  loadChain,
  needsTransaction,
  response,
  type Chain,
  type CommitInput,
  type DecisionRow,
  type Spent,
} from "@/lib/decisions/decide";
import type { DecisionRequest, DecisionResponse } from "@/lib/decisions/schemas";
import { withArgumentsDigest } from "@/lib/decisions/arguments";
import type { Verdict } from "@/lib/decisions/evaluate";
import { announceRuns } from "@/lib/events/bus";
import { newId } from "@/lib/ids";
import { livePolicy, livePolicyFor } from "@/lib/policy/current";
import { toolCatalog } from "@/lib/tools/catalog";
import { verifyLeaseTokenFast } from "@/lib/tokens/fast-verify";

/**
 * POST /api/v1/decisions on the hot path (server/): the same rules (evaluateChain) and the same rows as
 * decide(), in one round trip in the common case. The lease chain is kept in memory per lease with its
 * fingerprint (lanyard_chain_state: everything the rules read but the budget counter); the commit is
 * one prepared statement whose lanyard_decide first checks that fingerprint (and, for an allow, takes
 * the budget atomically) and writes the decision and its audit rows only if it holds. A chain that
 * changed is loaded again (the loader decide() uses) and evaluated again. Escalations and
 * approval-backed allows, rare and several steps, go through decide() itself.
 */
export type HotPath = { decide(ep: EnforcementPointActor, input: DecisionRequest): Promise<DecisionResponse>; forget(leaseId?: string): void };

type Entry = { chain: Chain; fingerprint: string };
type Row = Spent & { result: "ok" | "stale" | "spent"; fingerprint: string };

const MAX_ATTEMPTS = 4;
const MAX_CACHED = 20_000;

// Column lists come from the shared row builders, so these rows have the shape decide() writes.
let statements: { decide: string; record: string } | undefined;
function sql() {
  if (statements) return statements;
  const auditCols = AUDIT_COLUMNS.map((c) => `"${c}"`).join(", ");
  const decisionCols = Object.keys(decisionRecord(sampleCommit, sampleRow)).map((c) => `"${c}"`).join(", ");
  const writes = (when: string) => `
    d AS (INSERT INTO "decisions" (${decisionCols}) SELECT ${decisionCols} FROM jsonb_populate_record(NULL::"decisions", $6::jsonb) WHERE ${when}),
    a AS (INSERT INTO "audit_events" (${auditCols}) SELECT ${auditCols} FROM jsonb_populate_record(NULL::"audit_events", $7::jsonb) WHERE ${when})`;
  statements = {
    decide: `
      WITH r AS (SELECT * FROM lanyard_decide($1::text[], $2::text, $3::text, $4::boolean, $5::timestamptz)),
      go AS (SELECT count(*) > 0 AND bool_and(r."result" = 'ok') AS ok FROM r),
      ${writes(`(SELECT ok FROM go)`)},
      ended AS (SELECT r.*, row_number() OVER (ORDER BY r."id") AS n FROM r WHERE $4::boolean AND r."result" = 'ok' AND r."status" = 'exhausted'),
      e AS (
        INSERT INTO "audit_events" (${auditCols})
        SELECT ${auditCols.split(", ").map((c) => `x.${c}`).join(", ")}
        FROM ended, jsonb_populate_record(NULL::"audit_events", $8::jsonb || jsonb_build_object('id', ($9::text[])[ended.n], 'subjectId', ended."id",
          'agentId', ended."agentId", 'runId', ended."runId", 'leaseId', ended."id", 'leaseVersion', ended."version",
          'payload', jsonb_build_object('status', 'exhausted', 'reason', 'all ' || ended."maxToolCalls" || ' tool calls used'))) x
      )
      SELECT "result", "fingerprint", "id", "toolCallsUsed", "maxToolCalls", "status", "runId", "agentId", "version" FROM r`,
    // A decision with no lease chain to check (an invalid token, an unknown lease): written as is.
    record: `WITH ${writes("true").replaceAll("$6", "$1").replaceAll("$7", "$2").trim()} SELECT 1`,
  };
  return statements;
}
const sampleRow: DecisionRow = { id: "", leaf: undefined, verdict: { outcome: "deny", reasons: [] }, escalationId: null, at: new Date(0), latencyMs: 0 };
const sampleCommit = { ep: { id: "", name: "" }, input: { tool: "" }, claims: null } as unknown as CommitInput;

/** lanyard_chain_state ends with ':p<policy version in force>' (0: none published). */
const withPolicyVersion = (fingerprint: string, version: number | null) => fingerprint.replace(/:p\d+$/, "") + `:p${version ?? 0}`;
const policyVersionOf = (fingerprint: string) => Number(/:p(\d+)$/.exec(fingerprint)?.[1] ?? 0);

const auditJson = (id: string, at: Date, event: AuditInput) => JSON.stringify({ ...auditRow(id, event), at: at.toISOString() });

export function createHotPath(opts: { pool: pg.Pool; db: Db }): HotPath {
  const { pool, db } = opts;
  const cache = new Map<string, Entry>();
  const loading = new Map<string, { started: number; promise: Promise<Entry> }>();

  /** The chain and its fingerprint, the fingerprint read first: a chain newer than its fingerprint only costs a reload. */
  function load(leaseId: string, notBefore: number): Promise<Entry> {
    const inflight = loading.get(leaseId);
    if (inflight && inflight.started >= notBefore) return inflight.promise;
    const started = performance.now();
    const promise = (async () => {
      const fp = await pool.query<{ fp: string }>({ name: "lanyard_chain_state", text: `SELECT lanyard_chain_state($1) AS fp`, values: [leaseId] });
      const entry: Entry = { fingerprint: fp.rows[0]!.fp, chain: await loadChain(db, leaseId) };
      if (entry.chain.leases.length) {
        if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
        cache.set(leaseId, entry);
      }
      return entry;
    })().finally(() => {
      if (loading.get(leaseId)?.promise === promise) loading.delete(leaseId);
    });
    loading.set(leaseId, { started, promise });
    return promise;
  }

  async function record(c: CommitInput, leafless: boolean): Promise<DecisionResponse> {
    const at = now();
    const row: DecisionRow = { id: newId("dec"), leaf: leafless ? undefined : c.chain?.leases[0], verdict: c.verdict, escalationId: null, at, latencyMs: elapsed(c.started) };
    await pool.query({ name: "lanyard_record_decision", text: sql().record, values: [JSON.stringify(decisionRecord(c, row)), auditJson(newId("evt"), at, decisionAudit(c, row))] });
    return response(row, c.chain, []);
  }

  async function hotDecide(ep: EnforcementPointActor, request: DecisionRequest): Promise<DecisionResponse> {
    const started = performance.now();
    const input = withArgumentsDigest(request);
    const token = await verifyLeaseTokenFast(db, input.leaseToken);
    if (!token.ok) return record({ ep, input, started, claims: null, chain: null, verdict: { outcome: "deny", reasons: [{ code: token.code, message: token.message }] } }, true);
    const claims = token.claims;
    // A valid token is the agent calling: lastSeenAt, throttled and outside the decision (never awaited).
    void noteAgentSeen(db, claims.agentId);
    const tool = (await toolCatalog(db)).get(input.tool);
    let entry = cache.get(claims.leaseId) ?? (await load(claims.leaseId, performance.now()));
    let policy = await livePolicyFor(db, tool?.name);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const { chain } = entry;
      const verdict: Verdict = evaluateChain(claims, chain, tool, input, now(), policy);
      // Escalations, approval-backed allows and allows that count records (maxRecords): several steps in one
      // interactive transaction, as decide() does them. The common unconstrained call stays on this path.
      if (needsTransaction(verdict, chain, input)) return decide(db, ep, input);
      const c: CommitInput = { ep, input, started, claims, chain, verdict, tool };
      const leaf = chain.leases[0];
      if (!leaf) return record(c, false);
      const at = now();
      const row: DecisionRow = { id: newId("dec"), leaf, verdict, escalationId: null, at, latencyMs: elapsed(started) };
      const take = verdict.outcome === "allow";
      const ids = chain.leases.map((l) => l.id);
      const ended = auditRow("", { action: "lease.ended", actor: epActor(ep), subject: { type: "lease", id: "" } });
      const asked = performance.now();
      const { rows } = await pool.query<Row>({
        name: "lanyard_decide",
        text: sql().decide,
        // The fingerprint names the policy version this verdict was reached under: another one in force is stale.
        values: [ids, leaf.id, withPolicyVersion(entry.fingerprint, policy.version), take, at, JSON.stringify(decisionRecord(c, row)), auditJson(newId("evt"), at, decisionAudit(c, row)), JSON.stringify({ ...ended, at: at.toISOString() }), ids.map(() => newId("evt"))],
      });
      const result = rows[0]?.result ?? "stale";
      if (result === "ok") {
        // Keep the cached counters current; a status change (exhausted) changed the fingerprint: drop it.
        if (rows.some((r) => chain.leases.find((l) => l.id === r.id)?.status !== r.status)) cache.delete(leaf.id);
        else for (const l of chain.leases) l.toolCallsUsed = rows.find((r) => r.id === l.id)?.toolCallsUsed ?? l.toolCallsUsed;
        announceRuns(db, [leaf.runId]);
        return response(row, chain, rows);
      }
      if (result === "spent") {
        // Same chain, but its budget or time ran out: evaluate again with the counters as they are.
        const leases = chain.leases.map((l) => ({ ...l, toolCallsUsed: rows.find((r) => r.id === l.id)?.toolCallsUsed ?? l.toolCallsUsed }));
        entry = { fingerprint: entry.fingerprint, chain: { ...chain, leases } };
        continue;
      }
      cache.delete(leaf.id);
      entry = await load(claims.leaseId, asked);
      const inForce = policyVersionOf(rows[0]?.fingerprint ?? entry.fingerprint);
      if (inForce !== (policy.version ?? 0)) policy = await livePolicy(db, inForce);
    }
    // Still racing after several tries: fail closed rather than guess.
    const reasons = [{ code: "lease_exhausted" as const, message: "the lease changed concurrently; retry the call" }];
    return record({ ep, input, started, claims, chain: null, verdict: { outcome: "deny", reasons } }, true);
  }

  return {
    decide: hotDecide,
    forget: (leaseId) => {
      if (leaseId) cache.delete(leaseId);
      else cache.clear();
    },
  };
}
