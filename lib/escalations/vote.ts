import { Prisma } from "@/lib/generated/prisma/client";
import { AppError, conflict, notFound } from "@/lib/errors";
import { appendAudit, type AuditActor } from "@/lib/audit/append";
import { can, type Actor } from "@/lib/auth/permissions";
import { now } from "@/lib/clock";
import type { Db, Tx } from "@/lib/db";
import { hasPgCode } from "@/lib/db-errors";
import { publish } from "@/lib/events/bus";
import { voteNeedsReason } from "@/lib/escalations/rules";
import { escalationInclude, toEscalationView } from "@/lib/escalations/view";
import { newId } from "@/lib/ids";
import { lockPerson } from "@/lib/people/lock";
import { assertDelegable } from "@/lib/entitlements/check";
import { ceilingIssues, lockAgent } from "@/lib/agents/ceiling";
import { deadLink, delegatorActive, grantFor, isResourcePattern, lockChain, uncoveringAncestor } from "@/lib/leases/chain";
import { applyExtension } from "@/lib/leases/extend";
import { isOwnRequest } from "@/lib/leases/rules";
import type { Grant } from "@/lib/leases/schemas";
import { toolCatalog } from "@/lib/tools/catalog";
import { APPROVAL_TTL_MS, requiredApprovalsFor, riskOf } from "@/lib/tools/risk";
import { enqueueWebhookEvent } from "@/lib/webhooks/outbox";
import { freshProof, type ProofMethod } from "@/lib/presence/proof";

type EscalationRow = Prisma.EscalationGetPayload<{ include: { lease: true } }>;

/**
 * One person's vote on an escalation. The escalation row is locked for the vote, so concurrent votes
 * are counted one after another and the escalation settles exactly once; every state change is a
 * conditional update on `status = 'pending'`. Rules: the person who delegated (or requested) the lease
 * may not approve it; one vote per person; a reason is required to deny and to approve a critical call;
 * one deny settles it as denied; enough distinct approvals settle it as approved.
 */
export async function castVote(db: Db, actor: Actor, id: string, verdict: "approve" | "deny", reason: string, opts: { maxRisk?: string } = {}) {
  let result;
  try {
    result = await db.$transaction(async (tx) => {
      const at = now();
      // The risk that decides the proof of presence (and bulk's limit) is read from the tool rows, locked
      // FOR SHARE first (a tool's row comes before the person), not from the catalog's 5 s memory: a raise
      // committed on another instance is seen, and one racing this vote waits for it.
      const { risk, floor } = await lockedRiskOf(tx, id);
      // The voter's row first (FOR SHARE): a disable that committed since refuses the vote; a later one
      // waits for it and withdraws it if the question is still open. The role is the row's, not the
      // session's: a vote let in just before its voter lost the approver role must not count.
      // A vote that may change a lease also locks the lease's delegator (issue 15: the approval is checked
      // against what they may delegate), with the voter in id order, as recheckAuthority locks people.
      const target = await tx.escalation.findUnique({ where: { id }, select: { kind: true, agentId: true, leaseId: true, lease: { select: { delegatorId: true } } } });
      const delegatorId = target && target.kind !== "step_up" ? target.lease.delegatorId : null;
      let voter: Awaited<ReturnType<typeof lockPerson>> = null;
      for (const pid of [...new Set([actor.id, ...(delegatorId ? [delegatorId] : [])])].sort()) {
        const p = await lockPerson(tx, pid, "share");
        if (pid === actor.id) voter = p;
      }
      if (voter?.status !== "active") throw new AppError("forbidden", "Your account is not active");
      // A vote that may change a lease locks the agent and the lease chain before the escalation: the
      // order suspension, revocation and delegation take (agent, leases, then escalations), so none deadlocks.
      if (target && target.kind !== "step_up") {
        await lockAgent(tx, target.agentId, "share");
        await lockChain(tx, target.leaseId, "update");
      }
      const [locked] = await tx.$queryRaw<{ id: string }[]>(Prisma.sql`SELECT "id" FROM "escalations" WHERE "id" = ${id} FOR UPDATE`);
      if (!locked) throw notFound(`escalation ${id}`);
      const e = await tx.escalation.findUniqueOrThrow({ where: { id }, include: { lease: true } });
      // An extension may be asked by an admin who neither delegated nor requested the lease: still not theirs to approve.
      if (verdict === "approve" && (isOwnRequest(actor, e.lease) || (e.kind === "extension" && e.requestedById === actor.id))) {
        throw new AppError("self_approval", "You delegated or requested this lease: someone else must approve its escalations");
      }
      if (!can(voter, "approvals.decide")) throw new AppError("forbidden", `Your role (${voter.role}) does not allow approvals.decide`);
      if (e.status !== "pending") throw conflict(`escalation ${id} is already ${e.status}`);
      if (e.expiresAt.getTime() <= at.getTime()) {
        // Settle it as expired (committed), then answer 409 outside the transaction.
        await settle(tx, e, "expired", at, { type: "system", label: "approval window" });
        return { expiredAt: e.expiresAt };
      }
      if (opts.maxRisk && riskOf(risk) > riskOf(opts.maxRisk)) {
        throw new AppError("unprocessable", `escalation ${id} is ${risk} risk: answer it on its own, not in bulk`, [{ path: ["ids"], message: "risk_too_high" }]);
      }
      if (!reason && voteNeedsReason(verdict, risk)) {
        throw new AppError("invalid_request", verdict === "deny" ? "reason: required to deny" : "reason: required to approve a critical-risk request", [{ path: ["reason"], message: "Required" }]);
      }
      const proof = verdict === "approve" && riskOf(risk) >= riskOf("high") ? await requireFreshProof(tx, actor, at) : null;
      await tx.vote.create({ data: { id: newId("vot"), escalationId: id, voterId: actor.id, verdict, reason, proof } });
      const who: AuditActor = { type: "user", id: actor.id, label: actor.email };
      await appendAudit(tx, { action: "escalation.voted", actor: who, subject: { type: "escalation", id }, agentId: e.agentId, runId: e.runId, leaseId: e.leaseId, escalationId: id, leaseVersion: e.lease.version, tool: e.tool, outcome: verdict, payload: { verdict, reason, ...(proof ? { proof } : {}) } });
      // The threshold was fixed when the request opened: a risk raised since (medium to critical) asks what
      // the risk asks now, and the row says so to the next approver.
      const needed = Math.max(e.requiredApprovals, floor);
      if (needed > e.requiredApprovals) await tx.escalation.update({ where: { id }, data: { requiredApprovals: needed } });
      const approvals = await tx.vote.count({ where: { escalationId: id, verdict: "approve" } });
      if (verdict === "deny") await settle(tx, e, "denied", at, who, reason);
      else if (approvals >= needed) await settle(tx, e, "approved", at, who, reason);
      else await publish(tx, { type: "escalation.voted", escalationId: id, leaseId: e.leaseId, runId: e.runId, status: "pending" });
      return toEscalationView(await tx.escalation.findUniqueOrThrow({ where: { id }, include: escalationInclude }));
    });
  } catch (err) {
    if (hasPgCode(err, "P2002", "23505")) throw conflict("You have already voted on this escalation");
    throw err;
  }
  if ("expiredAt" in result) throw conflict(`escalation ${id} expired at ${result.expiredAt.toISOString()}`);
  return result;
}

/**
 * Approving a high or critical request needs this session's proof of presence from the last 5 minutes
 * (issue 17), made under the voter's current sessionVersion (read from their row, locked above). Here,
 * in castVote, so no path to an approval skips it; a deny needs none.
 */
async function requireFreshProof(tx: Tx, actor: Actor, at: Date): Promise<ProofMethod> {
  const { sessionVersion } = await tx.user.findUniqueOrThrow({ where: { id: actor.id }, select: { sessionVersion: true } });
  const method = await freshProof(tx, actor, sessionVersion, at);
  if (!method) throw new AppError("reauth_required", "Approving a high or critical request needs a fresh proof that it is you: confirm with your passkey or password (valid 5 minutes)");
  return method;
}

/**
 * riskOfEscalation on the committed tool rows, locked FOR SHARE in name order, and the approvals that
 * risk asks now, as openEscalation computes it (the tool's own number for a one-tool request). A missing
 * escalation: critical, and castVote answers 404.
 */
async function lockedRiskOf(tx: Tx, id: string): Promise<{ risk: string; floor: number }> {
  const e = await tx.escalation.findUnique({ where: { id }, select: { tool: true, lease: { select: { grants: true } } } });
  if (!e) return { risk: "critical", floor: 2 };
  const names = [...new Set(e.tool ? [e.tool] : (e.lease.grants as Grant[]).map((g) => g.tool))].sort();
  const rows = await tx.$queryRaw<{ name: string; risk: string; requiredApprovals: number | null }[]>(
    Prisma.sql`SELECT "name", "risk", "requiredApprovals" FROM "tools" WHERE "name" = ANY(${names}::text[]) ORDER BY "name" FOR SHARE`,
  );
  const byName = new Map(rows.map((r) => [r.name, r]));
  const risk = names.map((n) => byName.get(n)?.risk ?? "critical").reduce((worst, r) => (riskOf(r) > riskOf(worst) ? r : worst), "low");
  return { risk, floor: requiredApprovalsFor(risk, e.tool ? byName.get(e.tool)?.requiredApprovals : null) };
}

/** The riskiest tool an escalation is about (a lease request: its riskiest grant); unknown tools count as critical. */
export async function riskOfEscalation(db: Db, e: EscalationRow): Promise<string> {
  const catalog = await toolCatalog(db);
  if (e.tool) return catalog.get(e.tool)?.risk ?? "critical";
  const tools = (e.lease.grants as Grant[]).map((g) => catalog.get(g.tool)?.risk ?? "critical");
  return tools.reduce((worst, r) => (riskOf(r) > riskOf(worst) ? r : worst), "low");
}

/** Settles a pending escalation and applies what it means for the lease, once, in the caller's transaction. */
export async function settle(tx: Tx, e: EscalationRow, status: "approved" | "denied" | "expired", at: Date, actor: AuditActor, reason = "") {
  const approval = status === "approved" && e.kind === "step_up" ? { approvalId: newId("apr"), approvalExpiresAt: new Date(at.getTime() + APPROVAL_TTL_MS) } : {};
  const { count } = await tx.escalation.updateMany({ where: { id: e.id, status: "pending" }, data: { status, decidedAt: at, ...approval } });
  if (count === 0) throw conflict(`escalation ${e.id} was decided concurrently`);
  await applyEffect(tx, e, status, at, actor, reason);
  await appendAudit(tx, {
    action: "escalation.decided",
    actor,
    subject: { type: "escalation", id: e.id },
    agentId: e.agentId,
    runId: e.runId,
    leaseId: e.leaseId,
    escalationId: e.id,
    leaseVersion: e.lease.version,
    tool: e.tool,
    outcome: status,
    payload: { kind: e.kind, status, reason, approvalId: approval.approvalId ?? null },
  });
  await publish(tx, { type: "escalation.decided", escalationId: e.id, leaseId: e.leaseId, runId: e.runId, status });
  await enqueueWebhookEvent(tx, "escalation.decided", { escalationId: e.id, kind: e.kind, leaseId: e.leaseId, runId: e.runId, agentId: e.agentId, tool: e.tool, status, decidedBy: actor.label ?? null });
}

async function applyEffect(tx: Tx, e: EscalationRow, status: string, at: Date, actor: AuditActor, reason: string) {
  const entitlements = status === "approved" && e.kind !== "step_up" ? await checkAuthorityUnderLock(tx, e, at) : [];
  if (e.kind === "lease_request") {
    if (status === "approved" && e.lease.expiresAt.getTime() <= at.getTime()) throw conflict(`lease ${e.leaseId} expired while it waited`);
    const approvedById = actor.type === "user" ? actor.id : null;
    const { count } = await tx.lease.updateMany({
      where: { id: e.leaseId, status: "pending_approval" },
      data: status === "approved" ? { status: "active", approvedById } : { status: "denied", endedAt: at, endedReason: status === "expired" ? "request expired unanswered" : `denied: ${reason}` },
    });
    if (count === 0) {
      if (status === "approved") throw conflict(`lease ${e.leaseId} is no longer pending approval`);
      return; // already ended some other way: nothing left to deny
    }
    await appendAudit(tx, { action: status === "approved" ? "lease.approved" : "lease.denied", actor, subject: { type: "lease", id: e.leaseId }, agentId: e.agentId, runId: e.runId, leaseId: e.leaseId, leaseVersion: e.lease.version, escalationId: e.id, payload: { reason, via: "escalation" } });
    return;
  }
  if (e.kind === "extension" && status === "approved") {
    await applyExtension(tx, e, at, actor);
    return;
  }
  if (e.kind === "more_permission" && status === "approved" && e.tool) {
    const grant = grantFor(e.tool, e.resource as { type: string; id: string } | null);
    const grants = [...(e.lease.grants as Grant[]), grant];
    // Only a live lease grows, and only from the version the request was made against.
    const { count } = await tx.lease.updateMany({
      where: { id: e.leaseId, status: "active", version: e.lease.version },
      data: { grants: grants as Prisma.InputJsonValue, version: { increment: 1 } },
    });
    if (count === 0) throw conflict(`lease ${e.leaseId} changed or ended; ask again`);
    await appendAudit(tx, { action: "lease.grant_added", actor, subject: { type: "lease", id: e.leaseId }, agentId: e.agentId, runId: e.runId, leaseId: e.leaseId, leaseVersion: e.lease.version + 1, escalationId: e.id, tool: e.tool, payload: { grant, entitlements: entitlements[0] ?? [] } });
  }
}

/**
 * What an approval would give the lease, checked against the agent's current ceiling and every
 * ancestor's grants, on rows locked for this transaction (castVote locked them first; re-locking is a
 * no-op). Anything beyond answers 409 and the vote rolls back with it: nothing changes.
 */
async function checkAuthorityUnderLock(tx: Tx, e: EscalationRow, at: Date): Promise<string[][]> {
  const agent = await lockAgent(tx, e.agentId, "share");
  const chain = await lockChain(tx, e.leaseId, "update");
  if (!agent || !chain) throw conflict(`lease ${e.leaseId} or its agent no longer exists`);
  const [lease, ...ancestors] = chain;
  const dead = deadLink(ancestors, at);
  if (dead) throw conflict(`ancestor lease ${dead.id} is ${dead.status === "active" ? "expired" : dead.status}; nothing can be added under it`);
  if (!(await delegatorActive(tx, lease!.delegatorId))) throw conflict(`the person who delegated lease ${lease!.id} is not active; nothing can be added to it`);
  const asked = e.resource as { type: string; id: string } | null;
  if (e.kind === "more_permission" && asked && isResourcePattern(asked.id)) {
    throw new AppError("conflict", `${asked.type} ${asked.id} is a pattern, not one resource: approving it would grant every id it matches`, [{ path: ["resource", "id"], message: "must not end with *" }]);
  }
  const grants = e.kind === "more_permission" && e.tool ? [grantFor(e.tool, asked)] : (lease!.grants as Grant[]);
  const ceiling = ceilingIssues(agent, {
    environment: lease!.environment,
    tools: grants.map((g) => g.tool),
    expiresIn: Math.ceil((lease!.expiresAt.getTime() - at.getTime()) / 1000),
    maxToolCalls: lease!.maxToolCalls,
  });
  if (ceiling.length) throw new AppError("conflict", `beyond the agent's current ceiling: ${ceiling.map((c) => c.message).join("; ")}`, ceiling);
  // Within what the delegator may delegate now (their row is locked by castVote): 409, nothing changes.
  const delegator = await tx.user.findUniqueOrThrow({ where: { id: lease!.delegatorId! }, select: { id: true, role: true } });
  const entitlements = await assertDelegable(tx, delegator, grants, lease!.environment, { code: "conflict", path: () => ["tool"] });
  for (const g of grants) {
    const short = uncoveringAncestor(ancestors, g);
    if (short) throw new AppError("conflict", `${g.tool}${g.resource ? ` on ${g.resource.type} ${g.resource.ids.join(", ")}` : ""} is not granted by ancestor lease ${short.id}; a lease cannot hold more than its ancestors`, [{ path: ["tool"], message: "beyond an ancestor lease" }]);
  }
  return entitlements;
}
