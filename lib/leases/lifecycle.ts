import { Prisma } from "@/lib/generated/prisma/client";
import { AppError, conflict, notFound } from "@/lib/errors";
import { appendAudit, type AuditActor } from "@/lib/audit/append";
import type { EnforcementPointActor } from "@/lib/auth/enforcement-point";
import type { Actor } from "@/lib/auth/permissions";
import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";
import { endLeaseTrees } from "@/lib/leases/end";
import { canRevokeLease } from "@/lib/leases/rules";
import { castVote } from "@/lib/escalations/vote";
import { dropEndedDynamicLogins } from "@/lib/credentials/postgres-dynamic";
import { publish } from "@/lib/events/bus";
import { ensureReceipt } from "@/lib/receipts/receipt";
import { toLeaseView } from "@/lib/leases/view";
import { verifyLeaseToken } from "@/lib/tokens/lease-token";

const userActor = (a: Actor): AuditActor => ({ type: "user", id: a.id, label: a.email });

/** Revokes a lease and every descendant in one transaction. After this returns, none of them is allowed anything. */
export async function revokeLease(db: Db, actor: Actor, id: string, reason: string) {
  const result = await db.$transaction(async (tx) => {
    const lease = await tx.lease.findUnique({ where: { id } });
    if (!lease) throw notFound(`lease ${id}`);
    if (!canRevokeLease(actor, lease)) {
      throw new AppError("forbidden", "You may revoke only the leases you delegated");
    }
    const ended = await endLeaseTrees(tx, [id], { status: "revoked", reason, actor: userActor(actor), action: "lease.revoked" });
    if (!ended.some((l) => l.id === id)) throw conflict(`lease ${id} is already ${lease.status}`);
    return { lease: toLeaseView(await tx.lease.findUniqueOrThrow({ where: { id } })), revoked: ended.map((l) => l.id) };
  });
  await dropLoginsNow(db, id);
  return result;
}

/**
 * The fast path of the dynamic-logins job: a revoked or completed lease's database roles go at once,
 * not at the job's next turn. Best-effort: the revocation has committed; the job retries what fails.
 */
async function dropLoginsNow(db: Db, leaseId: string): Promise<void> {
  await dropEndedDynamicLogins(db, { leaseIds: [leaseId] }).catch(() => {});
}

/** The run is done: the lease (and any subagent lease under it) ends as completed. */
export async function completeLease(db: Db, ep: EnforcementPointActor, id: string, leaseToken: string) {
  const token = await verifyLeaseToken(db, leaseToken);
  if (!token.ok || token.claims.leaseId !== id) {
    throw new AppError("forbidden", token.ok ? "leaseToken is not the token of this lease" : `leaseToken: ${token.message}`);
  }
  const done = await db.$transaction(async (tx) => {
    const lease = await tx.lease.findUnique({ where: { id } });
    if (!lease) throw notFound(`lease ${id}`);
    const actor: AuditActor = { type: "enforcement_point", id: ep.id, label: ep.name };
    const ended = await endLeaseTrees(tx, [id], { status: "completed", reason: "run completed", actor, action: "lease.ended" });
    if (!ended.some((l) => l.id === id)) throw conflict(`lease ${id} is already ${lease.status}`);
    await tx.run.updateMany({ where: { id: { in: ended.map((l) => l.runId) }, endedAt: null }, data: { endedAt: now() } });
    return { lease: toLeaseView(await tx.lease.findUniqueOrThrow({ where: { id } })) };
  });
  await dropLoginsNow(db, id);
  const { receipt } = await ensureReceipt(db, id);
  return { ...done, receipt };
}

/**
 * A person decides a lease waiting in `pending_approval`: a vote on its lease_request escalation, so the
 * lease page, the approval queue and the API follow the same rules (no self-approval, one vote each,
 * two approvers for critical grants, settled exactly once).
 */
export async function decideLeaseRequest(db: Db, actor: Actor, id: string, verdict: "approve" | "deny", reason: string) {
  const e = await db.escalation.findFirst({ where: { leaseId: id, kind: "lease_request" }, orderBy: { createdAt: "desc" }, select: { id: true } });
  if (!e) {
    if (!(await db.lease.findUnique({ where: { id }, select: { id: true } }))) throw notFound(`lease ${id}`);
    throw conflict(`lease ${id} was not requested for approval`);
  }
  const escalation = await castVote(db, actor, e.id, verdict, reason);
  return { lease: toLeaseView(await db.lease.findUniqueOrThrow({ where: { id } })), escalation };
}

/** Marks leases whose time is up as expired (decisions already refuse them lazily); safe on many instances. */
export async function expireLeases(db: Db): Promise<number> {
  // In transactions of 100: a backlog (after downtime) is worked through in short transactions that
  // hold few row locks, instead of one that outgrows its timeout under load and rolls back every tick.
  let total = 0;
  for (;;) {
    const n = await expireBatch(db, EXPIRE_BATCH);
    total += n;
    if (n < EXPIRE_BATCH) return total;
  }
}

const EXPIRE_BATCH = 100;

async function expireBatch(db: Db, take: number): Promise<number> {
  return db.$transaction(async (tx) => {
    const at = now();
    // Locked in id order, as revokes and decisions lock leases, and skipping rows another transaction
    // holds: an UPDATE over the list would lock in whatever order its plan visits them and could
    // deadlock with a revoke. A skipped lease is expired at the next tick (decisions refuse it meanwhile).
    const due = await tx.$queryRaw<{ id: string }[]>(Prisma.sql`
      SELECT "id" FROM "leases" WHERE "status" IN ('active', 'pending_approval') AND "expiresAt" <= ${at}
      ORDER BY "id" LIMIT ${take}::integer FOR UPDATE SKIP LOCKED`);
    if (!due.length) return 0;
    const rows = await tx.$queryRaw<{ id: string; agentId: string; runId: string; version: number }[]>(Prisma.sql`
      UPDATE "leases" SET "status" = 'expired', "endedAt" = "expiresAt", "endedReason" = 'expired'
      WHERE "id" = ANY(${due.map((d) => d.id)}::text[]) AND "status" IN ('active', 'pending_approval') AND "expiresAt" <= ${at}
      RETURNING "id", "agentId", "runId", "version"`);
    if (rows.length) await publish(tx, { type: "run.event", runIds: [...new Set(rows.map((r) => r.runId))] });
    for (const l of rows) {
      await appendAudit(tx, { action: "lease.ended", actor: { type: "system", label: "expiry sweeper" }, subject: { type: "lease", id: l.id }, agentId: l.agentId, runId: l.runId, leaseId: l.id, leaseVersion: l.version, payload: { status: "expired", reason: "expired" } });
    }
    return rows.length;
  });
}
