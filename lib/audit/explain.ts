import { notFound } from "@/lib/errors";
import { badString } from "@/lib/schemas/text";
import type { Db } from "@/lib/db";
import { mcpCallOf } from "@/lib/decisions/mcp-call";
import type { Grant } from "@/lib/leases/schemas";
import { explainPolicy } from "@/lib/policy/explain";
import type { Drift, Intent } from "@/lib/intent/schemas";

/**
 * Everything behind one decision, in one place — "which human approved this, which agent executed
 * it, under what policy, with what token, and what changed": the call and its answer, the agent, the
 * delegating person, the people who approved the lease or the step-up, the lease's grants as they
 * stood at the version in force (issued grants plus grants added up to that version), and the token's jti.
 */
export async function explainDecision(db: Db, decisionId: string) {
  if (badString(decisionId)) throw notFound("decision"); // from a page's address: PostgreSQL would fail on it (a 500)
  const d = await db.decision.findUnique({ where: { id: decisionId }, include: { enforcementPoint: { select: { id: true, name: true } } } });
  if (!d) throw notFound(`decision ${decisionId}`);
  // What happened after an allow, as the deciding key reported it (null: not reported, or not an allow).
  const reported = await db.decisionOutcome.findUnique({ where: { decisionId } });
  const lease = d.leaseId
    ? await db.lease.findUnique({ where: { id: d.leaseId }, include: { delegator: { select: { id: true, email: true, name: true } }, approvedBy: { select: { id: true, email: true, name: true } }, agent: { select: { id: true, name: true, ownerId: true } } } })
    : null;
  const history = d.leaseId
    ? await db.auditEvent.findMany({ where: { leaseId: d.leaseId, action: { in: ["lease.issued", "lease.requested", "lease.delegated", "lease.grant_added", "lease.approved"] } }, orderBy: { seq: "asc" } })
    : [];
  const issued = history.find((e) => e.action !== "lease.grant_added" && e.action !== "lease.approved");
  const baseGrants = ((issued?.payload as { lease?: { grants?: Grant[] } } | null)?.lease?.grants ?? []) as Grant[];
  const addedEvents = history.filter((e) => e.action === "lease.grant_added" && (e.leaseVersion ?? 0) <= (d.leaseVersion ?? 0));
  const added = addedEvents.map((e) => (e.payload as { grant: Grant }).grant);
  // Which of the delegator's entitlements covered each grant when it was given (issue 15; absent before).
  const coveredBy = [
    ...(((issued?.payload as { entitlements?: string[][] } | null)?.entitlements ?? baseGrants.map(() => [])) as string[][]),
    ...addedEvents.map((e) => (e.payload as { entitlements?: string[] }).entitlements ?? []),
  ];
  const approvals = d.leaseId
    ? await db.escalation.findMany({
        where: { leaseId: d.leaseId, OR: [{ kind: "lease_request" }, ...(d.approvalId ? [{ approvalId: d.approvalId }] : []), ...(d.escalationId ? [{ id: d.escalationId }] : [])] },
        include: { votes: { include: { voter: { select: { id: true, email: true, name: true } } }, orderBy: { createdAt: "asc" } } },
      })
    : [];
  return {
    decision: {
      id: d.id,
      at: d.createdAt.toISOString(),
      tool: d.tool,
      resource: d.resource,
      context: d.context,
      mcp: mcpCallOf(d.context, { arguments: d.arguments, argumentsDigest: d.argumentsDigest }),
      outcome: d.outcome,
      reasons: d.reasons as { code: string; message: string }[],
      escalationId: d.escalationId,
      approvalId: d.approvalId,
      latencyMs: d.latencyMs,
      enforcementPoint: d.enforcementPoint,
      // How the call was off its lease chain's intent (null: on-intent, or no intent declared).
      drift: (d.drift ?? null) as Drift | null,
    },
    callOutcome: reported
      ? { status: reported.status, resultDigest: reported.resultDigest, durationMs: reported.durationMs, summary: reported.summary, at: reported.createdAt.toISOString() }
      : null,
    // The policy version in force and the policies that decided (null: no policy was published then).
    policy: await explainPolicy(db, d.policy),
    token: { jti: d.tokenJti },
    agent: lease?.agent ?? (d.agentId ? { id: d.agentId, name: null, ownerId: null } : null),
    lease: lease
      ? {
          id: lease.id,
          runId: lease.runId,
          purpose: lease.purpose,
          intent: (lease.intent ?? null) as Intent | null,
          environment: lease.environment,
          versionInForce: d.leaseVersion,
          grantsInForce: [...baseGrants, ...added],
          // The grants of this call's tool and the entitlements that let the delegator give them.
          entitlements: [...baseGrants, ...added].flatMap((g, i) => (g.tool === d.tool ? [{ grant: g, entitlementIds: coveredBy[i] ?? [] }] : [])),
          deny: lease.deny,
          requireApproval: lease.requireApproval,
          parentLeaseId: lease.parentLeaseId,
          status: lease.status,
        }
      : null,
    delegator: lease?.delegator ?? null,
    requestedBy: lease?.requestedBy ?? null,
    leaseApprovedBy: lease?.approvedBy ?? null,
    approvals: approvals.map((e) => ({
      escalationId: e.id,
      kind: e.kind,
      status: e.status,
      tool: e.tool,
      votes: e.votes.map((v) => ({ by: v.voter, verdict: v.verdict, reason: v.reason, at: v.createdAt.toISOString() })),
    })),
  };
}
