import { Prisma } from "@/lib/generated/prisma/client";
import { appendAudit, type AuditActor } from "@/lib/audit/append";
import { now } from "@/lib/clock";
import type { Tx } from "@/lib/db";
import { publish } from "@/lib/events/bus";
import { endLeaseTrees } from "@/lib/leases/end";

export const DELEGATOR_INACTIVE = "delegator_inactive";

/**
 * A person was disabled (the caller holds their row FOR UPDATE, in its transaction): the authority
 * that flows from them ends with it. Their live leases are revoked (cascading to every descendant),
 * the requests they made that still wait are cancelled, and their votes on questions still open are
 * withdrawn (deleted; the audit keeps both the vote and its withdrawal). All audited, all or nothing.
 */
export async function withdrawAuthority(tx: Tx, personId: string, actor: AuditActor) {
  const at = now();
  const live = await tx.lease.findMany({ where: { delegatorId: personId, status: { in: ["active", "pending_approval"] } }, select: { id: true } });
  // Also ends their pending lease requests and cancels the step-ups waiting on these leases.
  const revoked = await endLeaseTrees(tx, live.map((l) => l.id), { status: "revoked", reason: DELEGATOR_INACTIVE, actor, action: "lease.revoked" });

  // Requests of theirs still waiting on a lease they did not delegate (rare: usually ended above).
  const cancelled = await tx.escalation.updateManyAndReturn({
    where: { requestedById: personId, status: "pending" },
    data: { status: "cancelled", decidedAt: at },
    select: { id: true, kind: true, leaseId: true, runId: true, agentId: true, tool: true },
  });
  for (const e of cancelled) {
    await appendAudit(tx, { action: "escalation.cancelled", actor, subject: { type: "escalation", id: e.id }, agentId: e.agentId, runId: e.runId, leaseId: e.leaseId, escalationId: e.id, tool: e.tool, outcome: "cancelled", payload: { kind: e.kind, reason: DELEGATOR_INACTIVE } });
    await publish(tx, { type: "escalation.decided", escalationId: e.id, leaseId: e.leaseId, runId: e.runId, status: "cancelled" });
  }

  // Lock the open questions they voted on (as castVote does) so no vote of theirs is counted after this.
  const open = await tx.$queryRaw<{ id: string; leaseId: string; runId: string; agentId: string; tool: string | null }[]>(Prisma.sql`
    SELECT e."id", e."leaseId", e."runId", e."agentId", e."tool" FROM "escalations" e
    WHERE e."status" = 'pending' AND EXISTS (SELECT 1 FROM "votes" v WHERE v."escalationId" = e."id" AND v."voterId" = ${personId})
    ORDER BY e."id" FOR UPDATE`);
  const withdrawn = open.length
    ? await tx.$queryRaw<{ id: string; escalationId: string; verdict: string; reason: string; createdAt: Date }[]>(Prisma.sql`
        DELETE FROM "votes" WHERE "voterId" = ${personId} AND "escalationId" = ANY(${open.map((e) => e.id)}::text[])
        RETURNING "id", "escalationId", "verdict", "reason", "createdAt"`)
    : [];
  for (const v of withdrawn) {
    const e = open.find((o) => o.id === v.escalationId)!;
    await appendAudit(tx, {
      action: "escalation.vote_withdrawn",
      actor,
      subject: { type: "escalation", id: e.id },
      agentId: e.agentId,
      runId: e.runId,
      leaseId: e.leaseId,
      escalationId: e.id,
      tool: e.tool,
      outcome: "withdrawn",
      payload: { voteId: v.id, voterId: personId, verdict: v.verdict, reason: DELEGATOR_INACTIVE, votedAt: v.createdAt.toISOString() },
    });
    await publish(tx, { type: "escalation.voted", escalationId: e.id, leaseId: e.leaseId, runId: e.runId, status: "pending" });
  }
  return { revokedLeases: revoked.map((l) => l.id), cancelledEscalations: cancelled.map((e) => e.id), withdrawnVotes: withdrawn.map((v) => v.id) };
}
