import { createHash } from "node:crypto";
import { CompactSign } from "jose";
import { Prisma } from "@/lib/generated/prisma/client";
import { conflict, notFound } from "@/lib/errors";
import { badString } from "@/lib/schemas/text";
import { canonicalJson } from "@/lib/audit/canonical";
import type { EnforcementPointActor } from "@/lib/auth/enforcement-point";
import type { Actor } from "@/lib/auth/permissions";
import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";
import { constraintUse, type ConstraintUse } from "@/lib/leases/constraint-usage";
import type { Grant } from "@/lib/leases/schemas";
import type { Drift, Intent } from "@/lib/intent/schemas";
import { ALG, keys } from "@/lib/tokens/keys";

const ENDED = ["expired", "revoked", "exhausted", "completed", "denied"];

export type ReceiptBody = {
  leaseId: string;
  runId: string;
  agentId: string;
  agentName: string;
  delegator: string | null;
  approvers: string[];
  purpose: string;
  environment: string;
  startedAt: string;
  endedAt: string;
  endedReason: string;
  status: string;
  /** each call decided for the lease; `outcome`: what happened after an allow, as the enforcement point reported it (null: not reported when the receipt was made) */
  toolCalls: { tool: string; resource: { type: string; id: string } | null; decision: string; at: string; outcome: CallOutcome | null }[];
  resourcesTouched: { type: string; id: string }[];
  approvalsRequested: { escalationId: string; kind: string; tool: string | null; resource: unknown; status: string; approvals: { by: string; verdict: string; reason: string; at: string }[] }[];
  denied: { tool: string; resource: { type: string; id: string } | null; reasons: string[]; at: string }[];
  delegatedTo: { leaseId: string; agentId: string; runId: string; status: string }[];
  permissionsRevoked: { grants: Grant[]; reason: string; at: string };
  /** the vault's credentials released for this lease's calls and sessions: names and counts, never values */
  credentialsUsed: { name: string; connectionId: string; kind: string; releases: number }[];
  /** the grants' constraints (issue 15) and how much of each was used (records used/limit); absent in receipts made before them */
  constraints?: ConstraintUse[];
  /** the lease's declared intent and each call found off it (issue 15); absent in receipts made before them */
  intent?: Intent | null;
  driftFlags?: { tool: string; resource: { type: string; id: string } | null; decision: string; at: string; drift: Drift }[];
  /** each approved extension (issue 17): the limits before and after, who approved it last; absent when the lease was never extended */
  extensions?: { escalationId: string | null; by: string | null; at: string; from: { expiresAt: string; maxToolCalls: number }; to: { expiresAt: string; maxToolCalls: number } }[];
};
export type Receipt = ReceiptBody & { digest: string };
export type CallOutcome = { status: string; resultDigest: string | null; durationMs: number | null; summary: string | null; at: string };

/** An ended lease whose allowed calls still lack outcomes waits this long for them before the receipts job writes its receipt. */
export const OUTCOME_GRACE_MS = 60_000;

/** sha-256 of the receipt's canonical JSON (RFC 8785), without its digest field. */
export function receiptDigest(body: ReceiptBody): string {
  return createHash("sha256").update(canonicalJson(body)).digest("hex");
}

async function build(db: Db, leaseId: string): Promise<ReceiptBody> {
  const l = await db.lease.findUnique({
    where: { id: leaseId },
    include: { agent: { select: { name: true } }, delegator: { select: { email: true } }, approvedBy: { select: { email: true } }, childLeases: { select: { id: true, agentId: true, runId: true, status: true } } },
  });
  if (!l) throw notFound(`lease ${leaseId}`);
  if (!ENDED.includes(l.status) || !l.endedAt) throw conflict(`lease ${leaseId} is ${l.status}: its receipt exists once it ends`);
  const decisions = await db.decision.findMany({ where: { leaseId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: { tool: true, resource: true, outcome: true, reasons: true, createdAt: true, callOutcome: true, drift: true } });
  const escalations = await db.escalation.findMany({ where: { leaseId }, orderBy: { createdAt: "asc" }, include: { votes: { include: { voter: { select: { email: true } } }, orderBy: { createdAt: "asc" } } } });
  // From the audit log: each release is an event there (lib/credentials/release.ts), with no value in it.
  const released = await db.$queryRaw<{ name: string; connectionId: string; kind: string; releases: number }[]>(Prisma.sql`
    SELECT "payload"->>'credential' AS "name", "payload"->>'connectionId' AS "connectionId", "payload"->>'kind' AS "kind", count(*)::int AS "releases"
    FROM "audit_events" WHERE "leaseId" = ${leaseId} AND "action" = 'credential.released'
    GROUP BY 1, 2, 3 ORDER BY 1, 2`);
  const extended = await db.auditEvent.findMany({ where: { leaseId, action: "lease.extended" }, orderBy: { seq: "asc" }, select: { escalationId: true, actorLabel: true, at: true, payload: true } });
  const resource = (r: unknown) => (r && typeof r === "object" ? { type: String((r as { type: unknown }).type), id: String((r as { id: unknown }).id) } : null);
  const touched = new Map<string, { type: string; id: string }>();
  for (const d of decisions) {
    const r = resource(d.resource);
    if (d.outcome === "allow" && r) touched.set(`${r.type}\u0000${r.id}`, r);
  }
  const approvers = new Set<string>();
  if (l.approvedBy) approvers.add(l.approvedBy.email);
  for (const e of escalations) for (const v of e.votes) if (v.verdict === "approve") approvers.add(v.voter.email);
  return {
    leaseId: l.id,
    runId: l.runId,
    agentId: l.agentId,
    agentName: l.agent.name,
    delegator: l.delegator?.email ?? null,
    approvers: [...approvers].sort(),
    purpose: l.purpose,
    environment: l.environment,
    startedAt: l.createdAt.toISOString(),
    endedAt: l.endedAt.toISOString(),
    endedReason: l.endedReason ?? l.status,
    status: l.status,
    toolCalls: decisions.map((d) => ({
      tool: d.tool,
      resource: resource(d.resource),
      decision: d.outcome,
      at: d.createdAt.toISOString(),
      outcome: d.callOutcome
        ? { status: d.callOutcome.status, resultDigest: d.callOutcome.resultDigest, durationMs: d.callOutcome.durationMs, summary: d.callOutcome.summary, at: d.callOutcome.createdAt.toISOString() }
        : null,
    })),
    resourcesTouched: [...touched.values()].sort((a, b) => (a.type + a.id < b.type + b.id ? -1 : 1)),
    approvalsRequested: escalations.map((e) => ({
      escalationId: e.id,
      kind: e.kind,
      tool: e.tool,
      resource: e.resource ?? null,
      status: e.status,
      approvals: e.votes.map((v) => ({ by: v.voter.email, verdict: v.verdict, reason: v.reason, at: v.createdAt.toISOString() })),
    })),
    denied: decisions.filter((d) => d.outcome === "deny").map((d) => ({ tool: d.tool, resource: resource(d.resource), reasons: (d.reasons as { code: string }[]).map((r) => r.code), at: d.createdAt.toISOString() })),
    delegatedTo: l.childLeases.map((c) => ({ leaseId: c.id, agentId: c.agentId, runId: c.runId, status: c.status })),
    permissionsRevoked: { grants: l.grants as Grant[], reason: l.endedReason ?? l.status, at: l.endedAt.toISOString() },
    credentialsUsed: released,
    constraints: await constraintUse(db, l.id, l.grants as Grant[]),
    intent: (l.intent ?? null) as Intent | null,
    driftFlags: decisions.filter((d) => d.drift).map((d) => ({ tool: d.tool, resource: resource(d.resource), decision: d.outcome, at: d.createdAt.toISOString(), drift: d.drift as Drift })),
    ...(extended.length
      ? { extensions: extended.map((x) => ({ escalationId: x.escalationId, by: x.actorLabel, at: x.at.toISOString(), ...(x.payload as { from: { expiresAt: string; maxToolCalls: number }; to: { expiresAt: string; maxToolCalls: number } }) })) }
      : {}),
  };
}

/**
 * The receipt of an ended lease, produced once and kept (append-only). Its digest is the sha-256 of
 * its canonical JSON; `jws` is a compact JWS over the same bytes, signed with the lease-token key, so
 * anyone holding the JWKS can check it offline.
 */
export async function ensureReceipt(db: Db, leaseId: string): Promise<{ receipt: Receipt; jws: string }> {
  if (badString(leaseId)) throw notFound("lease"); // from a page's address: PostgreSQL would fail on it (a 500)
  const existing = await db.receipt.findUnique({ where: { leaseId } });
  if (existing) return { receipt: { ...(existing.body as ReceiptBody), digest: existing.digest }, jws: existing.jws };
  const body = await build(db, leaseId);
  const digest = receiptDigest(body);
  const { signer } = await keys(db);
  const jws = await new CompactSign(new TextEncoder().encode(canonicalJson(body))).setProtectedHeader({ alg: ALG, kid: signer.kid, typ: "lanyard-receipt+jws" }).sign(signer.privateKey);
  // Two producers at once (the sweeper and a request): the first insert wins and both return it.
  await db.receipt.createMany({ data: [{ leaseId, runId: body.runId, agentId: body.agentId, body: body as unknown as Prisma.InputJsonValue, digest, jws }], skipDuplicates: true });
  const kept = await db.receipt.findUniqueOrThrow({ where: { leaseId } });
  return { receipt: { ...(kept.body as ReceiptBody), digest: kept.digest }, jws: kept.jws };
}

/**
 * GET /api/v1/leases/{id}/receipt. People with leases.read (the route checks it) read every receipt; an
 * enforcement-point key only those of leases it requested, decided for, delegated or completed. Any
 * other lease is "not found" for that key, whether it exists or not (as escalations are).
 */
export async function readReceipt(db: Db, caller: Actor | EnforcementPointActor, leaseId: string) {
  if (caller.kind === "enforcement_point" && !(await keyActedOn(db, caller.id, leaseId))) throw notFound(`lease ${leaseId}`);
  return ensureReceipt(db, leaseId);
}

async function keyActedOn(db: Db, epId: string, leaseId: string): Promise<boolean> {
  // Every act of a key on a lease is audited with the key as actor (lease.requested, decision,
  // lease.delegated, lease.ended); the lease row and the decisions say the first two directly.
  const [row] = await db.$queryRaw<{ ok: boolean }[]>(Prisma.sql`
    SELECT EXISTS (SELECT 1 FROM "leases" WHERE "id" = ${leaseId} AND "issuedByType" = 'enforcement_point' AND "issuedById" = ${epId})
        OR EXISTS (SELECT 1 FROM "decisions" WHERE "leaseId" = ${leaseId} AND "enforcementPointId" = ${epId})
        OR EXISTS (SELECT 1 FROM "audit_events" WHERE "leaseId" = ${leaseId} AND "actorType" = 'enforcement_point' AND "actorId" = ${epId}) AS "ok"`);
  return row?.ok === true;
}

/**
 * Background: receipts for leases that ended (expired, revoked, exhausted …) and have none yet. A lease
 * whose last allowed calls are still running when it ends (the allow that exhausted it, typically) has
 * their outcomes reported only after its end: it waits up to OUTCOME_GRACE_MS for them, so that its
 * receipt says what those calls did.
 */
export async function writeMissingReceipts(db: Db, limit = 50, only?: string[]): Promise<number> {
  const graceFrom = new Date(now().getTime() - OUTCOME_GRACE_MS);
  const due = await db.$queryRaw<{ id: string }[]>`
    SELECT l."id" FROM "leases" l LEFT JOIN "receipts" r ON r."leaseId" = l."id"
    WHERE l."endedAt" IS NOT NULL AND l."status" = ANY(${ENDED}::text[]) AND r."leaseId" IS NULL
      AND (${only === undefined} OR l."id" = ANY(${only ?? []}::text[]))
      AND (l."endedAt" <= ${graceFrom} OR NOT EXISTS (
        SELECT 1 FROM "decisions" d LEFT JOIN "decision_outcomes" o ON o."decisionId" = d."id"
        WHERE d."leaseId" = l."id" AND d."outcome" = 'allow' AND o."decisionId" IS NULL))
    ORDER BY l."endedAt" LIMIT ${limit}`;
  for (const { id } of due) await ensureReceipt(db, id);
  return due.length;
}

