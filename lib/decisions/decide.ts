import { performance } from "node:perf_hooks";
import { Prisma } from "@/lib/generated/prisma/client";
import { auditRow, type AuditActor } from "@/lib/audit/append";
import type { EnforcementPointActor } from "@/lib/auth/enforcement-point";
import { now } from "@/lib/clock";
import type { Db, Tx } from "@/lib/db";
import { evaluate, type ChainLease, type Verdict } from "@/lib/decisions/evaluate";
import type { DecisionRequest, DecisionResponse, Reason } from "@/lib/decisions/schemas";
import { newId } from "@/lib/ids";
import { toolCatalog, type ToolInfo } from "@/lib/tools/catalog";
import { requiredApprovalsFor, stepUpWindowMs } from "@/lib/tools/risk";
import { verifyLeaseToken, type LeaseClaims } from "@/lib/tokens/lease-token";

/** Thrown inside the transaction when the chain changed under us; the decision is re-evaluated. */
class ChainChanged extends Error {}
const MAX_ATTEMPTS = 4;

type Chain = { leases: ChainLease[]; agentStatus: string | null };

async function loadChain(db: Db | Tx, leaseId: string): Promise<Chain> {
  const rows = await db.$queryRaw<(ChainLease & { agentStatus: string; isLeaf: boolean; ancestorIds: string[] })[]>(Prisma.sql`
    WITH leaf AS (SELECT "id", "ancestorIds" FROM "leases" WHERE "id" = ${leaseId})
    SELECT l."id", l."runId", l."agentId", l."status", l."expiresAt", l."toolCallsUsed", l."maxToolCalls", l."grants",
           l."deny", l."requireApproval", l."environment", l."version", l."ancestorIds", a."status" AS "agentStatus",
           (l."id" = ${leaseId}) AS "isLeaf"
    FROM "leases" l JOIN "agents" a ON a."id" = l."agentId"
    WHERE l."id" = ${leaseId} OR l."id" = ANY((SELECT "ancestorIds" FROM leaf)::text[])`);
  const leaf = rows.find((r) => r.isLeaf);
  if (!leaf) return { leases: [], agentStatus: null };
  // Leaf first, then ancestors nearest first.
  const byId = new Map(rows.map((r) => [r.id, r]));
  const ancestors = [...leaf.ancestorIds].reverse().map((id) => byId.get(id));
  if (ancestors.some((a) => !a)) return { leases: [], agentStatus: null };
  return { leases: [leaf, ...(ancestors as ChainLease[])], agentStatus: leaf.agentStatus };
}

/**
 * POST /api/v1/decisions: verify the token in memory, evaluate, then commit the verdict in one short
 * transaction whose writes are conditional (budget, approval), so concurrent calls never overspend.
 */
export async function decide(db: Db, ep: EnforcementPointActor, input: DecisionRequest): Promise<DecisionResponse> {
  const started = performance.now();
  const token = await verifyLeaseToken(db, input.leaseToken);
  if (!token.ok) {
    return record(db, { ep, input, started, claims: null, chain: null, verdict: { outcome: "deny", reasons: [{ code: token.code, message: token.message }] } });
  }
  const catalog = await toolCatalog(db);
  for (let attempt = 1; ; attempt++) {
    const chain = await loadChain(db, token.claims.leaseId);
    const verdict = evaluate({ claims: token.claims, chain: chain.leases, agentStatus: chain.agentStatus, tool: catalog.get(input.tool), request: input, now: now() });
    try {
      return await record(db, { ep, input, started, claims: token.claims, chain, verdict, tool: catalog.get(input.tool) });
    } catch (err) {
      const retry = err instanceof ChainChanged || isRetryableConflict(err);
      if (!retry) throw err;
      if (attempt >= MAX_ATTEMPTS) {
        // Still racing after several tries: answer deny (fail closed) rather than guess.
        return record(db, { ep, input, started, claims: token.claims, chain: null, verdict: { outcome: "deny", reasons: [{ code: "lease_exhausted", message: "the lease changed concurrently; retry the call" }] } });
      }
    }
  }
}

function isRetryableConflict(err: unknown): boolean {
  const code = (err as { code?: string; cause?: { originalCode?: string } })?.cause?.originalCode ?? (err as { code?: string })?.code;
  return code === "40P01" || code === "40001" || code === "P2034";
}

type RecordInput = {
  ep: EnforcementPointActor;
  input: DecisionRequest;
  started: number;
  claims: LeaseClaims | null;
  chain: Chain | null;
  verdict: Verdict;
  tool?: ToolInfo;
};

async function record(db: Db, r: RecordInput): Promise<DecisionResponse> {
  return db.$transaction(
    async (tx) => {
      const at = now();
      const leaf = r.chain?.leases[0];
      const decisionId = newId("dec");
      let verdict = r.verdict;
      let escalationId: string | null = null;
      let budget: { id: string; toolCallsUsed: number; maxToolCalls: number; status: string; runId: string; agentId: string; version: number }[] = [];
      const events = [];

      if (verdict.outcome === "allow" && leaf && r.chain) {
        if (verdict.approvalId && !(await consumeApproval(tx, verdict.approvalId, leaf.id, r.input, at))) {
          verdict = { outcome: "deny", reasons: [{ code: "approval_invalid", message: `approval ${verdict.approvalId} is not valid for this lease, tool and resource (unknown, used, expired or for another call)` }] };
        } else {
          budget = await takeBudget(tx, r.chain.leases.map((l) => l.id), at);
          if (budget.length !== r.chain.leases.length) throw new ChainChanged();
        }
      } else if (verdict.outcome === "escalate" && leaf) {
        escalationId = await openStepUp(tx, r, leaf, at, decisionId);
      }

      const actor: AuditActor = { type: "enforcement_point", id: r.ep.id, label: r.ep.name };
      const latencyMs = Math.round((performance.now() - r.started) * 100) / 100;
      await tx.decision.create({
        data: {
          id: decisionId,
          leaseId: leaf?.id ?? null,
          runId: leaf?.runId ?? r.claims?.runId ?? null,
          agentId: leaf?.agentId ?? r.claims?.agentId ?? null,
          enforcementPointId: r.ep.id,
          tool: r.input.tool,
          resource: (r.input.resource ?? Prisma.DbNull) as Prisma.InputJsonValue,
          context: (r.input.context ?? Prisma.DbNull) as Prisma.InputJsonValue,
          outcome: verdict.outcome,
          reasons: verdict.reasons,
          escalationId,
          approvalId: verdict.outcome === "allow" ? (verdict.approvalId ?? null) : (r.input.approvalId ?? null),
          tokenJti: r.claims?.leaseId ?? null,
          leaseVersion: leaf?.version ?? null,
          latencyMs,
          createdAt: at,
        },
      });
      events.push(
        auditRow(newId("evt"), {
          action: "decision",
          actor,
          subject: { type: "decision", id: decisionId },
          agentId: leaf?.agentId ?? null,
          runId: leaf?.runId ?? null,
          leaseId: leaf?.id ?? null,
          decisionId,
          escalationId,
          leaseVersion: leaf?.version ?? null,
          tokenJti: r.claims?.leaseId ?? null,
          tool: r.input.tool,
          outcome: verdict.outcome,
          payload: { resource: r.input.resource ?? null, context: r.input.context ?? null, reasons: verdict.reasons, approvalId: r.input.approvalId ?? null, latencyMs },
        }),
      );
      for (const l of budget.filter((b) => b.status === "exhausted")) {
        events.push(
          auditRow(newId("evt"), {
            action: "lease.ended",
            actor,
            subject: { type: "lease", id: l.id },
            agentId: l.agentId,
            runId: l.runId,
            leaseId: l.id,
            leaseVersion: l.version,
            payload: { status: "exhausted", reason: `all ${l.maxToolCalls} tool calls used` },
          }),
        );
      }
      await tx.auditEvent.createMany({ data: events });

      const remaining = budget.length
        ? Math.min(...budget.map((b) => b.maxToolCalls - b.toolCallsUsed))
        : r.chain?.leases.length
          ? Math.min(...r.chain.leases.map((l) => Math.max(0, l.maxToolCalls - l.toolCallsUsed)))
          : 0;
      const leafStatus = budget[0]?.status ?? leaf?.status;
      return {
        decision: verdict.outcome,
        decisionId,
        reasons: verdict.reasons as Reason[],
        escalationId,
        lease: leaf ? { id: leaf.id, status: leafStatus ?? "active", remainingToolCalls: remaining, expiresAt: leaf.expiresAt.toISOString() } : null,
      };
    },
    { maxWait: 3_000, timeout: 5_000 },
  );
}

/**
 * Takes one unit of budget from every lease of the chain, in one statement, only where the lease is
 * still active, unexpired and under budget; rows are locked in id order so concurrent chains cannot
 * deadlock. The caller compares the count with the chain length.
 */
async function takeBudget(tx: Tx, ids: string[], at: Date) {
  return tx.$queryRaw<{ id: string; toolCallsUsed: number; maxToolCalls: number; status: string; runId: string; agentId: string; version: number }[]>(Prisma.sql`
    WITH locked AS (
      SELECT "id" FROM "leases" WHERE "id" = ANY(${ids}::text[]) ORDER BY "id" FOR UPDATE
    )
    UPDATE "leases" l SET
      "toolCallsUsed" = l."toolCallsUsed" + 1,
      "status" = CASE WHEN l."toolCallsUsed" + 1 >= l."maxToolCalls" THEN 'exhausted' ELSE l."status" END,
      "endedAt" = CASE WHEN l."toolCallsUsed" + 1 >= l."maxToolCalls" THEN ${at} ELSE l."endedAt" END,
      "endedReason" = CASE WHEN l."toolCallsUsed" + 1 >= l."maxToolCalls" THEN 'budget exhausted' ELSE l."endedReason" END
    FROM locked
    WHERE l."id" = locked."id" AND l."status" = 'active' AND l."expiresAt" > ${at} AND l."toolCallsUsed" < l."maxToolCalls"
    RETURNING l."id", l."toolCallsUsed", l."maxToolCalls", l."status", l."runId", l."agentId", l."version"`);
}

/** Consumes a granted step-up approval exactly once, and only for the lease, tool and resource it was granted for. */
async function consumeApproval(tx: Tx, approvalId: string, leaseId: string, input: DecisionRequest, at: Date): Promise<boolean> {
  const resource = input.resource ? { type: input.resource.type, id: input.resource.id } : null;
  const n = await tx.$executeRaw(Prisma.sql`
    UPDATE "escalations" SET "status" = 'consumed'
    WHERE "approvalId" = ${approvalId} AND "status" = 'approved' AND "kind" = 'step_up' AND "leaseId" = ${leaseId}
      AND "tool" = ${input.tool} AND "approvalExpiresAt" > ${at}
      AND ((${resource === null} AND "resource" IS NULL) OR ("resource" ->> 'type' = ${resource?.type ?? ""} AND "resource" ->> 'id' = ${resource?.id ?? ""}))`);
  return n === 1;
}

/** Opens (or joins) the pending step-up escalation for this lease, tool and resource. */
async function openStepUp(tx: Tx, r: RecordInput, leaf: ChainLease, at: Date, decisionId: string): Promise<string> {
  const resource = r.input.resource ? { type: r.input.resource.type, id: r.input.resource.id } : null;
  const dedupeKey = `${leaf.id}|${r.input.tool}|${resource ? `${resource.type}:${resource.id}` : "*"}`;
  const risk = r.tool?.risk ?? "critical";
  const id = newId("esc");
  const inserted = await tx.$queryRaw<{ id: string }[]>(Prisma.sql`
    INSERT INTO "escalations" ("id", "kind", "leaseId", "runId", "agentId", "decisionId", "enforcementPointId", "tool", "resource",
      "justification", "dedupeKey", "status", "requiredApprovals", "expiresAt", "createdAt")
    VALUES (${id}, 'step_up', ${leaf.id}, ${leaf.runId}, ${leaf.agentId}, ${decisionId}, ${r.ep.id}, ${r.input.tool},
      ${resource === null ? null : JSON.stringify(resource)}::jsonb, ${"step-up required by policy"}, ${dedupeKey}, 'pending',
      ${requiredApprovalsFor(risk, r.tool?.requiredApprovals)}, ${new Date(Math.min(at.getTime() + stepUpWindowMs(risk), leaf.expiresAt.getTime()))}, ${at})
    ON CONFLICT ("dedupeKey") WHERE "status" = 'pending' DO NOTHING
    RETURNING "id"`);
  if (inserted[0]) {
    await tx.auditEvent.create({
      data: auditRow(newId("evt"), {
        action: "escalation.created",
        actor: { type: "enforcement_point", id: r.ep.id, label: r.ep.name },
        subject: { type: "escalation", id },
        agentId: leaf.agentId,
        runId: leaf.runId,
        leaseId: leaf.id,
        escalationId: id,
        decisionId,
        leaseVersion: leaf.version,
        tool: r.input.tool,
        payload: { kind: "step_up", resource, risk },
      }),
    });
    return id;
  }
  const existing = await tx.escalation.findFirst({ where: { dedupeKey, status: "pending" }, select: { id: true } });
  if (!existing) throw new ChainChanged();
  return existing.id;
}

