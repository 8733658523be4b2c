import { performance } from "node:perf_hooks";
import { Prisma } from "@/lib/generated/prisma/client";
import { auditInsertSelectSql, auditInsertSql, type AuditActor, type AuditInput } from "@/lib/audit/append";
import { noteAgentSeen } from "@/lib/agents/last-seen";
import type { EnforcementPointActor } from "@/lib/auth/enforcement-point";
import { now } from "@/lib/clock";
import type { Db, Tx } from "@/lib/db";
import { findInError, hasPgCode } from "@/lib/db-errors";
import { evaluate, recordKey, recordLimits, type ChainLease, type Verdict } from "@/lib/decisions/evaluate";
import { EscalationRace, openEscalation } from "@/lib/escalations/open";
import { announceRuns } from "@/lib/events/bus";
import { deadLink, lockChain } from "@/lib/leases/chain";
import type { DecisionRequest, DecisionResponse } from "@/lib/decisions/schemas";
import { auditArguments, withArgumentsDigest } from "@/lib/decisions/arguments";
import { newId } from "@/lib/ids";
import { applyPolicy } from "@/lib/policy/apply";
import { policyCallOf, type ChainFacts } from "@/lib/policy/call";
import { livePolicy, livePolicyFor, type LivePolicy } from "@/lib/policy/current";
import { evaluatePolicy } from "@/lib/policy/evaluate";
import { requiredApprovalsFor } from "@/lib/tools/risk";
import { toolCatalog, type ToolInfo } from "@/lib/tools/catalog";
import { verifyLeaseToken, type LeaseClaims } from "@/lib/tokens/lease-token";

/** The chain changed between evaluation and commit (spent, revoked, expired, approval used): evaluate again. */
class ChainChanged extends Error {}
const MAX_ATTEMPTS = 4;

/** `fingerprint`: lanyard_chain_state of the leaf, read in the chain's own snapshot (commit compares it again). */
export type Chain = { leases: ChainLease[]; agentStatus: string | null; delegatorStatus: string | null; facts?: ChainFacts | null; driftMode?: string | null; fingerprint?: string };
export type Spent = { id: string; toolCallsUsed: number; maxToolCalls: number; status: string; runId: string; agentId: string; version: number };

/** The lease chain the decision rules read: one loader for both decision paths (Next's route and server/). */
export async function loadChain(db: Db, leaseId: string): Promise<Chain> {
  const rows = await db.$queryRaw<(ChainLease & ChainFacts & { agentStatus: string; driftMode: string; isLeaf: boolean; ancestorIds: string[]; fingerprint: string })[]>(Prisma.sql`
    SELECT (SELECT lanyard_chain_state(${leaseId})) AS "fingerprint", l."id", l."runId", l."agentId", l."status", l."expiresAt", l."toolCallsUsed", l."maxToolCalls", l."grants",
           l."deny", l."requireApproval", l."environment", l."version", l."ancestorIds", a."status" AS "agentStatus",
           l."intent", a."driftMode",
           u."status" AS "delegatorStatus", (l."id" = ${leaseId}) AS "isLeaf",
           -- what policies read (lib/policy/call.ts)
           a."name" AS "agentName", a."environments" AS "agentEnvironments", u."id" AS "delegatorId", u."email" AS "delegatorEmail",
           u."role" AS "delegatorRole", l."purpose", l."taskRef", l."depth",
           ARRAY(SELECT g."name" FROM "group_members" m JOIN "groups" g ON g."id" = m."groupId" WHERE m."userId" = u."id" ORDER BY g."name") AS "delegatorGroups"
    FROM "leases" l JOIN "agents" a ON a."id" = l."agentId" LEFT JOIN "users" u ON u."id" = l."delegatorId"
    -- one primary-key probe per lease of the chain (an OR here would scan the table)
    WHERE l."id" = ANY(ARRAY[${leaseId}]::text[] || (SELECT "ancestorIds" FROM "leases" WHERE "id" = ${leaseId}))`);
  const leaf = rows.find((r) => r.isLeaf);
  if (!leaf) return { leases: [], agentStatus: null, delegatorStatus: null };
  const byId = new Map(rows.map((r) => [r.id, r]));
  const ancestors = [...leaf.ancestorIds].reverse().map((id) => byId.get(id));
  if (ancestors.some((a) => !a)) return { leases: [], agentStatus: null, delegatorStatus: null };
  // Leaf first, then its ancestors, nearest first.
  const { agentName, agentEnvironments, delegatorId, delegatorEmail, delegatorRole, delegatorStatus, delegatorGroups, purpose, taskRef, depth } = leaf;
  const facts: ChainFacts = { agentName, agentEnvironments, delegatorId, delegatorEmail, delegatorRole, delegatorStatus, delegatorGroups, purpose, taskRef, depth };
  return { leases: [leaf, ...(ancestors as ChainLease[])], agentStatus: leaf.agentStatus, delegatorStatus: leaf.delegatorStatus, facts, driftMode: leaf.driftMode, fingerprint: leaf.fingerprint };
}

/**
 * POST /api/v1/decisions. The token is verified in memory; the lease chain is read and evaluated; the
 * verdict is committed with writes that re-check everything they rely on (status, expiry, budget,
 * approval), so a verdict that went stale is evaluated again and concurrent calls never overspend.
 */
export async function decide(db: Db, ep: EnforcementPointActor, request: DecisionRequest): Promise<DecisionResponse> {
  const started = performance.now();
  const input = withArgumentsDigest(request);
  const token = await verifyLeaseToken(db, input.leaseToken);
  if (!token.ok) {
    return commit(db, { ep, input, started, claims: null, chain: null, verdict: { outcome: "deny", reasons: [{ code: token.code, message: token.message }] } });
  }
  // A valid token is the agent calling: lastSeenAt, throttled and outside the decision (never awaited).
  void noteAgentSeen(db, token.claims.agentId);
  const catalog = await toolCatalog(db);
  const tool = catalog.get(input.tool);
  // Set when a commit found another policy version in force: this copy is reloaded up to it at least.
  let policyInForce: number | undefined;
  for (let attempt = 1; ; attempt++) {
    const chain = await loadChain(db, token.claims.leaseId);
    const policy = policyInForce === undefined ? await livePolicyFor(db, tool?.name) : await livePolicy(db, policyInForce);
    const verdict = evaluateChain(token.claims, chain, tool, input, now(), policy);
    try {
      const answer = await commit(db, { ep, input, started, claims: token.claims, chain, verdict, tool, policyVersion: policy.version ?? 0 });
      announceRuns(db, [chain.leases[0]?.runId]);
      return answer;
    } catch (err) {
      const stale = staleFingerprint(err);
      const changedTo = stale !== undefined ? policyVersionOf(stale) : policyChangedTo(err);
      // A fingerprint that moved (or a budget spent meanwhile) loads the chain again; one naming another policy version, that version too.
      if (changedTo !== undefined && changedTo !== (policy.version ?? 0)) policyInForce = changedTo;
      else if (stale === undefined && changedTo === undefined && !(err instanceof ChainChanged || hasPgCode(err, "LYBUD", "40P01", "40001"))) throw err;
      if (attempt >= MAX_ATTEMPTS) {
        // Still racing after several tries: fail closed rather than guess.
        const reasons = [{ code: "lease_exhausted" as const, message: "the lease changed concurrently; retry the call" }];
        return commit(db, { ep, input, started, claims: token.claims, chain: null, verdict: { outcome: "deny", reasons } });
      }
    }
  }
}

/**
 * The decision rules applied to a loaded chain: the one place that maps a Chain to evaluate()'s inputs,
 * then asks the published policy (if any) about what the lease rules did not deny: the lease must allow
 * AND policy must not forbid. The verdict carries the policy version and the policies that decided.
 */
export function evaluateChain(claims: LeaseClaims, chain: Chain, tool: ToolInfo | undefined, request: DecisionRequest, at: Date, policy?: LivePolicy): Verdict {
  const lease = evaluate({ claims, chain: chain.leases, agentStatus: chain.agentStatus, delegatorStatus: chain.delegatorStatus, tool, request, now: at, driftMode: chain.driftMode });
  if (!policy || policy.version === null) return lease;
  const stamp = (determinedBy: string[]) => ({ version: policy.version, determinedBy, lease: lease.outcome });
  if (lease.outcome === "deny" || !chain.facts) return { ...lease, policy: stamp([]) };
  if (!policy.set) {
    return { outcome: "deny", reasons: [{ code: "policy_error", message: `policy version ${policy.version} no longer validates against the schema: ${policy.broken}` }], policy: stamp([]) };
  }
  const result = evaluatePolicy(policy.set, policyCallOf(chain.leases, chain.facts, chain.agentStatus, request, at));
  // Drift is a fact about the call, whatever policy made of the verdict: it stays flagged.
  const decided = applyPolicy(lease, result, request.tool, request.approvalId);
  return { ...decided, ...(lease.drift ? { drift: lease.drift } : {}), policy: stamp(result.determinedBy) };
}

export type CommitInput = {
  ep: EnforcementPointActor;
  input: DecisionRequest;
  started: number;
  claims: LeaseClaims | null;
  chain: Chain | null;
  verdict: Verdict;
  tool?: ToolInfo;
  /** the published policy version the verdict was reached under (0: none); when set, re-checked at commit */
  policyVersion?: number;
};

/** The policy version in force moved on between evaluation and commit: evaluate again under it. */
class PolicyChanged extends Error {
  constructor(readonly version: number) {
    super(`policy version ${version} is in force`);
  }
}

/**
 * An expression that aborts its statement when the published policy version is no longer `v` (0: none),
 * read in the snapshot of the writes it guards. A failed cast names the version in force
 * ("policy_changed:<n>"): one check in the statement, without a database function of its own.
 */
const policyStillLive = (v: number) =>
  Prisma.sql`(SELECT CASE WHEN coalesce(max("version"), 0) = ${v}::integer THEN 0 ELSE ('policy_changed:' || coalesce(max("version"), 0))::integer END FROM "policy_versions")`;

/** The version in force a commit found instead of the one evaluated (PolicyChanged, or policyStillLive's failed cast). */
function policyChangedTo(err: unknown): number | undefined {
  if (err instanceof PolicyChanged) return err.version;
  const m = findInError(err, (o) => typeof o.message === "string" && /policy_changed:\d+/.test(o.message))?.message;
  return typeof m === "string" ? Number(/policy_changed:(\d+)/.exec(m)![1]) : undefined;
}

/** lanyard_chain_state ends with ':p<policy version in force>' (0: none published). */
export const withPolicyVersion = (fingerprint: string, version: number | null) => fingerprint.replace(/:p\d+$/, "") + `:p${version ?? 0}`;
export const policyVersionOf = (fingerprint: string) => Number(/:p(\d+)$/.exec(fingerprint)?.[1] ?? 0);

/** What a commit compares: the chain's fingerprint as loaded, under the policy version evaluated (null: nothing to compare). */
const expectedState = (c: CommitInput) =>
  c.chain?.fingerprint && c.chain.leases[0] && c.policyVersion !== undefined ? withPolicyVersion(c.chain.fingerprint, c.policyVersion) : null;

/** The chain's facts (or the policy version) moved on between load and commit: evaluate again under `fingerprint`. */
class ChainStale extends Error {
  constructor(readonly fingerprint: string) {
    super("chain_stale");
  }
}

/**
 * Aborts the one-statement commit unless lanyard_decide (rows `r`) found the fingerprint unchanged and,
 * for an allow, spent the budget: a failed cast names the fresh fingerprint ("chain_stale:<fp>").
 */
const chainStillAsLoaded = (r: string) =>
  Prisma.raw(`(SELECT CASE WHEN count(*) > 0 AND bool_and(${r}."result" = 'ok') THEN 0 ELSE ('chain_stale:' || coalesce(max(${r}."fingerprint"), ''))::integer END FROM ${r})`);

/** The fresh fingerprint a commit found instead of the one loaded (ChainStale, or chainStillAsLoaded's failed cast). */
function staleFingerprint(err: unknown): string | undefined {
  if (err instanceof ChainStale) return err.fingerprint;
  const m = findInError(err, (o) => typeof o.message === "string" && o.message.includes("chain_stale:"))?.message;
  return typeof m === "string" ? (/chain_stale:([^"\s]*)/.exec(m)?.[1] ?? "") : undefined;
}

/**
 * Inside the commit's transaction, after its row locks: the chain's fingerprint read again (READ
 * COMMITTED: this statement sees what committed before it, the drift mode, groups, role and policy
 * version included). Another one than loaded means the verdict may rest on old facts: evaluate again.
 */
async function checkChainState(tx: Tx, c: CommitInput, leafId: string): Promise<void> {
  const expected = expectedState(c);
  if (expected === null) return;
  const [row] = await tx.$queryRaw<{ fp: string }[]>(Prisma.sql`SELECT lanyard_chain_state(${leafId}) AS fp`);
  if (row!.fp !== expected) throw new ChainStale(row!.fp);
}

export type DecisionRow = {
  id: string;
  leaf: ChainLease | undefined;
  verdict: Verdict;
  escalationId: string | null;
  at: Date;
  latencyMs: number;
};

/** Escalations and approval-backed allows take several steps (one interactive transaction); the rest one statement. */
/** So do allows under a grant that counts records (maxRecords): counted under the chain's row locks. */
export const needsTransaction = (v: Verdict, chain?: Chain | null, input?: DecisionRequest) =>
  v.outcome === "escalate" || (v.outcome === "allow" && (!!v.approvalId || (!!chain && !!input && recordLimits(chain.leases, input).length > 0)));

function commit(db: Db, c: CommitInput): Promise<DecisionResponse> {
  if (!needsTransaction(c.verdict, c.chain, c.input)) return commitInOneStatement(db, c);
  // Record-counting allows of one lease tree wait for each other here, not in PostgreSQL: a transaction
  // waiting there for the tree's row locks holds a pooled connection, and a burst on one constrained
  // lease would take them all (starving every other call of this process). The locks still decide.
  if (c.verdict.outcome === "allow" && c.chain && recordLimits(c.chain.leases, c.input).length) {
    return inTreeQueue(c.chain.leases[c.chain.leases.length - 1]!.id, () => commitInTransaction(db, c));
  }
  return commitInTransaction(db, c);
}

const treeQueues = new Map<string, Promise<unknown>>();
/** Runs `fn` after every earlier one queued on `key` (this process only), whatever they ended with. */
function inTreeQueue<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const before = treeQueues.get(key) ?? Promise.resolve();
  const run = before.then(fn, fn);
  const tail = run.catch(() => undefined);
  treeQueues.set(key, tail);
  void tail.then(() => {
    if (treeQueues.get(key) === tail) treeQueues.delete(key);
  });
  return run;
}

type RecordLimit = { leaseId: string; max: number };

/**
 * maxRecords (issue 15): with the chain's rows locked FOR UPDATE (in id order, as lanyard_take_budget
 * locks them, so no deadlock and no upgrade), the first limit this call's resource would pass, or null.
 * A resource a lease already counted costs it nothing.
 */
async function recordOverLimit(tx: Tx, chainIds: string[], limits: RecordLimit[], key: string): Promise<(RecordLimit & { used: number }) | null> {
  await tx.$executeRaw(Prisma.sql`SELECT 1 FROM "leases" WHERE "id" = ANY(${chainIds}::text[]) ORDER BY "id" FOR UPDATE`);
  const rows = await tx.$queryRaw<{ leaseId: string; used: number; counted: boolean }[]>(Prisma.sql`
    SELECT l."leaseId",
      (SELECT count(*) FROM "lease_records" r WHERE r."leaseId" = l."leaseId")::int AS "used",
      EXISTS (SELECT 1 FROM "lease_records" r WHERE r."leaseId" = l."leaseId" AND r."key" = ${key}) AS "counted"
    FROM unnest(${limits.map((l) => l.leaseId)}::text[]) AS l("leaseId")`);
  for (const limit of limits) {
    const r = rows.find((x) => x.leaseId === limit.leaseId);
    if (r && !r.counted && r.used >= limit.max) return { ...limit, used: r.used };
  }
  return null;
}

const countRecords = (tx: Tx, limits: RecordLimit[], key: string, at: Date) =>
  tx.$executeRaw(Prisma.sql`INSERT INTO "lease_records" ("leaseId", "key", "createdAt") SELECT unnest(${limits.map((l) => l.leaseId)}::text[]), ${key}, ${at} ON CONFLICT DO NOTHING`);

function overLimitVerdict(c: CommitInput, leafId: string, over: RecordLimit & { used: number }): Verdict {
  const whose = over.leaseId === leafId ? "the lease" : `ancestor lease ${over.leaseId}`;
  const message = `${c.input.tool} on ${c.input.resource!.type} ${c.input.resource!.id}: ${whose} has touched ${over.used} of at most ${over.max} records (maxRecords)`;
  return { outcome: "deny", policy: c.verdict.policy, reasons: [{ code: "constraint_violated", message }] };
}

/**
 * The common case, allow or deny: budget, decision row and audit events in one SQL statement (one
 * round trip, atomic). For an allow, lanyard_take_budget raises LYBUD when any lease of the chain
 * cannot be spent, which aborts the statement, decision and audit rows included.
 */
async function commitInOneStatement(db: Db, c: CommitInput): Promise<DecisionResponse> {
  const at = now();
  const leaf = c.chain?.leases[0];
  const row: DecisionRow = { id: newId("dec"), leaf, verdict: c.verdict, escalationId: null, at, latencyMs: elapsed(c.started) };
  const decisionEvent = auditInsertSql([{ id: newId("evt"), at, event: decisionAudit(c, row) }]);
  if (c.verdict.outcome === "allow" && c.chain && leaf) {
    const ids = c.chain.leases.map((l) => l.id);
    const endedIds = ids.map(() => newId("evt"));
    // The lease.ended event of each lease this call exhausts, as the transaction path writes it, one row per `ended` row.
    const endedEvents = auditInsertSelectSql({ at, event: { action: "lease.ended", actor: epActor(c.ep), subject: { type: "lease", id: "" } } }, {
      id: Prisma.sql`(${endedIds}::text[])[ended.n]`,
      subjectId: Prisma.sql`ended."id"`, agentId: Prisma.sql`ended."agentId"`, runId: Prisma.sql`ended."runId"`, leaseId: Prisma.sql`ended."id"`, leaseVersion: Prisma.sql`ended."version"`,
      payload: Prisma.sql`jsonb_build_object('status', 'exhausted', 'reason', 'all ' || ended."maxToolCalls" || ' tool calls used')`,
    }, Prisma.sql`ended`);
    const expected = expectedState(c);
    if (expected !== null) {
      // lanyard_decide locks the chain's rows, then compares the fingerprint in a fresh snapshot (facts
      // committed while this waited are seen) and only then spends; otherwise nothing here is written.
      const [out] = await db.$queryRaw<{ ok: number; spent: Spent[] }[]>(Prisma.sql`
        WITH r AS (SELECT * FROM lanyard_decide(${ids}::text[], ${leaf.id}, ${expected}, true, ${at})),
        spent AS (SELECT * FROM r WHERE r."result" = 'ok'),
        d AS (${decisionInsertSql(c, row)}),
        a AS (${decisionEvent}),
        ended AS (SELECT s.*, row_number() OVER (ORDER BY s."id") AS n FROM spent s WHERE s."status" = 'exhausted'),
        e AS (${endedEvents})
        SELECT ${chainStillAsLoaded("r")} AS "ok", coalesce((SELECT json_agg(spent) FROM spent), '[]'::json) AS "spent"`);
      return response(row, c.chain, out!.spent);
    }
    const spent = await db.$queryRaw<Spent[]>(Prisma.sql`
      WITH spent AS (SELECT * FROM lanyard_take_budget(${ids}::text[], ${at})),
      d AS (${decisionInsertSql(c, row)}),
      a AS (${decisionEvent}),
      ended AS (SELECT s.*, row_number() OVER (ORDER BY s."id") AS n FROM spent s WHERE s."status" = 'exhausted'),
      e AS (${endedEvents})
      SELECT * FROM spent${c.policyVersion === undefined ? Prisma.empty : Prisma.sql` WHERE ${policyStillLive(c.policyVersion)} = 0`}`);
    return response(row, c.chain, spent);
  }
  const expected = expectedState(c);
  if (expected !== null && leaf) {
    // A deny or escalation-free answer rests on the chain's facts as well: the same fresh-snapshot comparison, nothing spent.
    await db.$queryRaw(Prisma.sql`
      WITH r AS (SELECT * FROM lanyard_decide(${c.chain!.leases.map((l) => l.id)}::text[], ${leaf.id}, ${expected}, false, ${at})),
      d AS (${decisionInsertSql(c, row)}), a AS (${decisionEvent})
      SELECT ${chainStillAsLoaded("r")} AS "ok"`);
  } else if (c.policyVersion === undefined || !c.chain) await db.$executeRaw(Prisma.sql`WITH d AS (${decisionInsertSql(c, row)}) ${decisionEvent}`);
  else await db.$executeRaw(Prisma.sql`WITH d AS (${decisionInsertSql(c, row)}), a AS (${decisionEvent}) SELECT ${policyStillLive(c.policyVersion)}`);
  return response(row, c.chain, []);
}

/** Escalations and approval-backed allows: rarer, several steps, one interactive transaction. */
async function commitInTransaction(db: Db, c: CommitInput): Promise<DecisionResponse> {
  return db.$transaction(
    async (tx) => {
      const at = now();
      const leaf = c.chain!.leases[0]!;
      const row: DecisionRow = { id: newId("dec"), leaf, verdict: c.verdict, escalationId: null, at, latencyMs: 0 };
      let spent: Spent[] = [];
      let consumed: string | null = null;
      const chainIds = c.chain!.leases.map((l) => l.id);
      const limits = c.verdict.outcome === "allow" ? recordLimits(c.chain!.leases, c.input) : [];
      const key = c.input.resource ? recordKey(c.input.resource) : "";
      // Checked before an approval is consumed: a call over its record limit must not use up the approval.
      const over = limits.length ? await recordOverLimit(tx, chainIds, limits, key) : null;
      // Every branch compares the chain's fingerprint after its row locks and before it spends or asks.
      if (over) {
        await checkChainState(tx, c, leaf.id);
        row.verdict = overLimitVerdict(c, leaf.id, over);
      } else if (c.verdict.outcome === "allow" && !c.verdict.approvalId) {
        if (!limits.length) await lockForSpend(tx, chainIds);
        await checkChainState(tx, c, leaf.id);
        await countRecords(tx, limits, key, at);
        spent = await tx.$queryRaw<Spent[]>(Prisma.sql`SELECT * FROM lanyard_take_budget(${chainIds}::text[], ${at})`);
      } else if (c.verdict.outcome === "allow" && c.verdict.approvalId) {
        const required = approvalsRequired(c);
        const approval = await consumeApproval(tx, c.verdict.approvalId, leaf.id, c.input, at, required);
        if (approval && "short" in approval) {
          // Approved by fewer people than this call now needs (a newer policy's @approvals, a raised risk):
          // not consumed; the call is asked again with the current number.
          const message = `${c.input.tool}: approval ${c.verdict.approvalId} was given by ${approval.short} of the ${required} approvers the call now needs; asked again`;
          row.verdict = { outcome: "escalate", policy: c.verdict.policy, reasons: [{ code: "approval_required", message }], requiredApprovals: required, ...(c.verdict.drift ? { drift: c.verdict.drift } : {}) };
          row.escalationId = await escalate(tx, { ...c, verdict: row.verdict }, leaf, at, row.id);
        } else if (approval) {
          consumed = approval.id;
          if (!limits.length) await lockForSpend(tx, chainIds);
          await checkChainState(tx, c, leaf.id);
          if (limits.length) await countRecords(tx, limits, key, at);
          spent = await tx.$queryRaw<Spent[]>(Prisma.sql`SELECT * FROM lanyard_take_budget(${chainIds}::text[], ${at})`);
        } else {
          row.verdict = { outcome: "deny", policy: c.verdict.policy, reasons: [{ code: "approval_invalid", message: `approval ${c.verdict.approvalId} is not valid for this lease, tool, resource and arguments (unknown, already used, expired, or granted for another call)` }] };
        }
      } else {
        row.escalationId = await escalate(tx, c, leaf, at, row.id);
      }
      if (c.policyVersion !== undefined && expectedState(c) === null) {
        // Read committed: this statement sees a publish that committed before it.
        const [live] = await tx.$queryRaw<{ v: number }[]>(Prisma.sql`SELECT coalesce(max("version"), 0)::integer AS v FROM "policy_versions"`);
        const v = live!.v;
        if (v !== c.policyVersion) throw new PolicyChanged(v);
      }
      row.latencyMs = elapsed(c.started);
      await tx.$executeRaw(decisionInsertSql(c, row));
      const events: { id: string; at: Date; event: AuditInput }[] = [{ id: newId("evt"), at, event: decisionAudit(c, row) }];
      if (consumed) {
        events.push({ id: newId("evt"), at, event: { action: "escalation.consumed", actor: epActor(c.ep), subject: { type: "escalation", id: consumed }, agentId: leaf.agentId, runId: leaf.runId, leaseId: leaf.id, escalationId: consumed, decisionId: row.id, leaseVersion: leaf.version, tool: c.input.tool, outcome: "consumed", payload: { approvalId: c.input.approvalId } } });
      }
      for (const l of spent.filter((s) => s.status === "exhausted")) {
        events.push({ id: newId("evt"), at, event: { action: "lease.ended", actor: epActor(c.ep), subject: { type: "lease", id: l.id }, agentId: l.agentId, runId: l.runId, leaseId: l.id, leaseVersion: l.version, payload: { status: "exhausted", reason: `all ${l.maxToolCalls} tool calls used` } } });
      }
      await tx.$executeRaw(auditInsertSql(events));
      return response(row, c.chain, spent);
    },
    { maxWait: 10_000, timeout: 10_000 },
  );
}

export const elapsed = (started: number) => Math.round((performance.now() - started) * 100) / 100;
export const epActor = (ep: EnforcementPointActor): AuditActor => ({ type: "enforcement_point", id: ep.id, label: ep.name });

/** The decision row (its columns, in order), shared by both decision paths. */
export function decisionRecord(c: CommitInput, r: DecisionRow) {
  return {
    id: r.id,
    leaseId: r.leaf?.id ?? null,
    runId: r.leaf?.runId ?? c.claims?.runId ?? null,
    agentId: r.leaf?.agentId ?? c.claims?.agentId ?? null,
    enforcementPointId: c.ep.id,
    tool: c.input.tool,
    resource: c.input.resource ?? null,
    context: c.input.context ?? null,
    outcome: r.verdict.outcome,
    reasons: r.verdict.reasons,
    escalationId: r.escalationId,
    approvalId: r.verdict.outcome === "allow" ? (r.verdict.approvalId ?? null) : (c.input.approvalId ?? null),
    tokenJti: c.claims?.leaseId ?? null,
    leaseVersion: r.leaf?.version ?? null,
    latencyMs: r.latencyMs,
    createdAt: r.at,
    arguments: c.input.arguments ?? null,
    argumentsDigest: c.input.argumentsDigest ?? null,
    policy: r.verdict.policy ?? null,
    drift: r.verdict.drift ?? null,
  };
}

function decisionInsertSql(c: CommitInput, r: DecisionRow): Prisma.Sql {
  const d = decisionRecord(c, r);
  const json = (v: unknown) => (v === null ? null : JSON.stringify(v));
  return Prisma.sql`
    INSERT INTO "decisions" ("id", "leaseId", "runId", "agentId", "enforcementPointId", "tool", "resource", "context", "outcome", "reasons",
      "escalationId", "approvalId", "tokenJti", "leaseVersion", "latencyMs", "createdAt", "arguments", "argumentsDigest", "policy", "drift")
    VALUES (${d.id}, ${d.leaseId}, ${d.runId}, ${d.agentId}, ${d.enforcementPointId},
      ${d.tool}, ${json(d.resource)}::jsonb, ${json(d.context)}::jsonb, ${d.outcome}, ${JSON.stringify(d.reasons)}::jsonb,
      ${d.escalationId}, ${d.approvalId}, ${d.tokenJti}, ${d.leaseVersion}::integer, ${d.latencyMs}::double precision, ${d.createdAt},
      ${json(d.arguments)}::jsonb, ${d.argumentsDigest}, ${json(d.policy)}::jsonb, ${json(d.drift)}::jsonb)`;
}

export function decisionAudit(c: CommitInput, r: DecisionRow): AuditInput {
  return {
    action: "decision",
    actor: epActor(c.ep),
    subject: { type: "decision", id: r.id },
    agentId: r.leaf?.agentId ?? c.claims?.agentId ?? null,
    runId: r.leaf?.runId ?? c.claims?.runId ?? null,
    leaseId: r.leaf?.id ?? null,
    decisionId: r.id,
    escalationId: r.escalationId,
    leaseVersion: r.leaf?.version ?? null,
    tokenJti: c.claims?.leaseId ?? null,
    tool: c.input.tool,
    outcome: r.verdict.outcome,
    payload: { resource: c.input.resource ?? null, context: c.input.context ?? null, reasons: r.verdict.reasons, approvalId: c.input.approvalId ?? null, latencyMs: r.latencyMs, ...auditArguments(c.input), ...(r.verdict.policy ? { policy: r.verdict.policy } : {}), ...(r.verdict.drift ? { drift: r.verdict.drift } : {}) },
  };
}

export function response(r: DecisionRow, chain: Chain | null, spent: Spent[]): DecisionResponse {
  const leases = spent.length ? spent : (chain?.leases ?? []);
  const remaining = leases.length ? Math.min(...leases.map((l) => Math.max(0, l.maxToolCalls - l.toolCallsUsed))) : 0;
  const leafStatus = spent.find((s) => s.id === r.leaf?.id)?.status ?? r.leaf?.status ?? "active";
  return {
    decision: r.verdict.outcome,
    decisionId: r.id,
    reasons: r.verdict.reasons,
    escalationId: r.escalationId,
    policy: { version: r.verdict.policy?.version ?? null, determinedBy: r.verdict.policy?.determinedBy ?? [] },
    lease: r.leaf ? { id: r.leaf.id, status: leafStatus, remainingToolCalls: remaining, expiresAt: r.leaf.expiresAt.toISOString() } : null,
  };
}

/** The row locks a spend takes (lanyard_take_budget's, same order), taken before the fingerprint is compared. */
const lockForSpend = (tx: Tx, chainIds: string[]) =>
  tx.$executeRaw(Prisma.sql`SELECT 1 FROM "leases" WHERE "id" = ANY(${chainIds}::text[]) ORDER BY "id" FOR UPDATE`);

/** People an approval-backed call needs now: its tool's risk (or override), or more when policy's @approvals asks. */
const approvalsRequired = (c: CommitInput) =>
  Math.max(c.verdict.outcome === "escalate" || c.verdict.outcome === "allow" ? (c.verdict.requiredApprovals ?? 0) : 0, requiredApprovalsFor(c.tool?.risk ?? "critical", c.tool?.requiredApprovals));

/**
 * Consumes a granted step-up approval exactly once, and only for the lease, tool and resource it was
 * granted for, and only when at least `required` people approved it. Returns the escalation's id;
 * `{ short: n }` when it matches but only n approved (left unconsumed); null when it cannot be used.
 */
async function consumeApproval(tx: Tx, approvalId: string, leaseId: string, input: DecisionRequest, at: Date, required: number): Promise<{ id: string } | { short: number } | null> {
  const resource = input.resource ? { type: input.resource.type, id: input.resource.id } : null;
  const matches = Prisma.sql`"approvalId" = ${approvalId} AND "status" = 'approved' AND "kind" = 'step_up' AND "leaseId" = ${leaseId}
      AND "tool" = ${input.tool} AND "approvalExpiresAt" > ${at}
      -- bound to the arguments people saw: another digest, or none where one was approved (or one where none was), is not this approval
      AND "argumentsDigest" IS NOT DISTINCT FROM ${input.argumentsDigest ?? null}::text
      AND ((${resource === null} AND "resource" IS NULL) OR ("resource" ->> 'type' = ${resource?.type ?? ""} AND "resource" ->> 'id' = ${resource?.id ?? ""}))`;
  const approvals = Prisma.sql`(SELECT count(*) FROM "votes" v WHERE v."escalationId" = "escalations"."id" AND v."verdict" = 'approve')::integer`;
  const rows = await tx.$queryRaw<{ id: string }[]>(Prisma.sql`
    UPDATE "escalations" SET "status" = 'consumed' WHERE ${matches} AND ${approvals} >= ${required}::integer RETURNING "id"`);
  if (rows[0]) return rows[0];
  // The rare miss: an approval given by too few people for what the call needs now, or no approval at all.
  const [short] = await tx.$queryRaw<{ n: number }[]>(Prisma.sql`SELECT ${approvals} AS n FROM "escalations" WHERE ${matches}`);
  return short ? { short: short.n } : null;
}

/**
 * Opens (or joins) the step-up for this call. A chain revoked since it was read opens no escalation:
 * evaluate again (and deny). Once the escalation is in, a revocation waits for us and then cancels it.
 */
async function escalate(tx: Tx, c: CommitInput, leaf: ChainLease, at: Date, decisionId: string): Promise<string> {
  const chain = await lockChain(tx, leaf.id, "share");
  if (!chain || deadLink(chain, at)) throw new ChainChanged();
  await checkChainState(tx, c, leaf.id);
  return openStepUp(tx, c, leaf, at, decisionId);
}

/** Opens the pending step-up escalation for this call, or joins the one already waiting. */
async function openStepUp(tx: Tx, c: CommitInput, leaf: ChainLease, at: Date, decisionId: string): Promise<string> {
  try {
    const { id } = await openEscalation(tx, {
      kind: "step_up",
      lease: leaf,
      tool: c.input.tool,
      resource: c.input.resource ? { type: c.input.resource.type, id: c.input.resource.id } : null,
      arguments: c.input.arguments ?? null,
      argumentsDigest: c.input.argumentsDigest ?? null,
      justification: c.verdict.reasons[0]?.message ?? "step-up required by policy",
      risk: c.tool?.risk ?? "critical",
      // A policy's @approvals can ask for more people than the tool's risk does, never fewer.
      requiredApprovals:
        c.verdict.outcome === "escalate" && c.verdict.requiredApprovals
          ? Math.max(c.verdict.requiredApprovals, requiredApprovalsFor(c.tool?.risk ?? "critical", c.tool?.requiredApprovals))
          : (c.tool?.requiredApprovals ?? null),
      decisionId,
      enforcementPointId: c.ep.id,
      actor: epActor(c.ep),
      at,
    });
    return id;
  } catch (err) {
    if (err instanceof EscalationRace) throw new ChainChanged();
    throw err;
  }
}
