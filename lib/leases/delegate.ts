import { Prisma } from "@/lib/generated/prisma/client";
import { AppError, notFound } from "@/lib/errors";
import { appendAudit } from "@/lib/audit/append";
import type { EnforcementPointActor } from "@/lib/auth/enforcement-point";
import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";
import { newId } from "@/lib/ids";
import { publish } from "@/lib/events/bus";
import { ceilingIssues, lockAgent, touchLastLease } from "@/lib/agents/ceiling";
import { checkAttenuation } from "@/lib/leases/attenuation";
import { intentWithin } from "@/lib/intent/check";
import type { Intent } from "@/lib/intent/schemas";
import { delegatorActive, lockChain, uncoveringAncestor } from "@/lib/leases/chain";
import type { DelegateRequest, Grant } from "@/lib/leases/schemas";
import { toLeaseView } from "@/lib/leases/view";
import { delegableCoverage } from "@/lib/entitlements/check";
import { toolCatalog } from "@/lib/tools/catalog";
import { DELEGATOR_UNENTITLED } from "@/lib/entitlements/recheck";
import { lockPerson } from "@/lib/people/lock";
import { signLeaseToken, verifyLeaseToken } from "@/lib/tokens/lease-token";

/**
 * A lease mints a strictly smaller lease for a subagent. The child agent's row and the parent chain are
 * locked, so a concurrent suspension or revocation either happens first (and we refuse) or waits for us
 * (and, as endLeaseTrees locks the roots before it ends the trees, cascades to the child).
 */
export async function delegateLease(db: Db, ep: EnforcementPointActor, parentId: string, input: DelegateRequest) {
  const token = await verifyLeaseToken(db, input.leaseToken);
  if (!token.ok) throw new AppError("forbidden", `leaseToken: ${token.message}`, [{ path: ["leaseToken"], message: token.code }]);
  if (token.claims.leaseId !== parentId) throw new AppError("forbidden", "leaseToken is not the token of this lease", [{ path: ["leaseToken"], message: "token_invalid" }]);

  const risks = new Map([...(await toolCatalog(db)).values()].map((t) => [t.name, t.risk]));
  const child = await db.$transaction(async (tx) => {
    const at = now();
    // The delegating person's row first (a lease's delegator never changes, so it may be read unlocked):
    // the order everything takes, person, then agent, then leases; an entitlement change waits for us.
    const from = await tx.lease.findUnique({ where: { id: parentId }, select: { delegatorId: true } });
    const person = from?.delegatorId ? await lockPerson(tx, from.delegatorId, "share") : null;
    // The child agent's row, then the chain: the order suspension takes (agent, then its leases).
    const agent = await lockAgent(tx, input.agentId, "share");
    if (!agent) throw new AppError("unprocessable", `agent ${input.agentId} does not exist`, [{ path: ["agentId"], message: "unknown agent" }]);
    const chain = (await lockChain(tx, parentId, "share")) ?? [];
    const parent = chain[0];
    if (!parent) throw notFound(`lease ${parentId}`);
    for (const l of chain) {
      if (l.status !== "active") throw new AppError("conflict", `lease ${l.id} is ${l.status}; it cannot delegate`);
      if (l.expiresAt.getTime() <= at.getTime()) throw new AppError("conflict", `lease ${l.id} has expired; it cannot delegate`);
    }
    if (!(await delegatorActive(tx, parent.delegatorId))) throw new AppError("conflict", `the person who delegated lease ${parent.id} is not active; it cannot delegate`);

    const deny = input.deny ?? parent.deny;
    const requireApproval = [...new Set([...(input.requireApproval ?? []), ...parent.requireApproval])];
    const expiresAt = new Date(at.getTime() + input.expiresIn * 1000);
    const remaining = Math.min(...chain.map((l) => l.maxToolCalls - l.toolCallsUsed));
    const maxDelegationDepth = input.maxDelegationDepth ?? Math.max(0, parent.maxDelegationDepth - 1);
    const violations = checkAttenuation(
      { grants: parent.grants as Grant[], deny: parent.deny, requireApproval: parent.requireApproval, expiresAt: parent.expiresAt, remainingToolCalls: remaining, depth: parent.depth, maxDelegationDepth: parent.maxDelegationDepth },
      { grants: input.grants, deny, requireApproval, expiresAt, maxToolCalls: input.maxToolCalls, maxDelegationDepth },
    );
    // Every ancestor, not only the parent: a parent that ever held more than its own ancestors (an old
    // approval, a row forced into the database) must not pass the excess on.
    input.grants.forEach((g, i) => {
      const short = uncoveringAncestor(chain.slice(1), g);
      if (short) violations.push({ rule: "grants", path: ["grants", i], message: `${g.tool} is not within ancestor lease ${short.id}'s grants` });
    });
    // The child's declared task lies within that of every lease of the chain that declares one.
    for (const a of input.intent ? chain : []) {
      if (a.intent) violations.push(...intentWithin(a.intent as Intent, input.intent!).map((x) => ({ rule: "intent" as const, path: x.path, message: `${x.message}${a === parent ? "" : ` (ancestor lease ${a.id})`}` })));
    }
    // Within what the delegator may delegate now (issue 15), not only what the parent once got.
    const covered = person ? await delegableCoverage(tx, person, input.grants, parent.environment, risks) : null;
    if (covered && !covered.ok) {
      violations.push(...covered.violations.map((v) => ({ rule: "grants" as const, path: ["grants", v.index], message: `${DELEGATOR_UNENTITLED}: ${v.reason}` })));
    }
    const entitlements = covered?.ok ? covered.byGrant : [];
    const ceiling = ceilingIssues(agent, { environment: parent.environment, tools: input.grants.map((g) => g.tool), expiresIn: input.expiresIn, maxToolCalls: input.maxToolCalls });
    violations.push(...ceiling.map((c) => ({ rule: "ceiling" as const, path: c.path, message: c.message })));
    if (violations.length) {
      throw new AppError("unprocessable", `not a strict attenuation of lease ${parentId}: ${violations.map((v) => v.message).join("; ")}`, violations.map((v) => ({ path: v.path, message: `${v.rule}: ${v.message}` })));
    }

    const runId = newId("run");
    await tx.run.create({ data: { id: runId, agentId: agent.id, parentRunId: parent.runId, purpose: input.purpose } });
    const l = await tx.lease.create({
      data: {
        id: newId("lse"),
        runId,
        agentId: agent.id,
        parentLeaseId: parent.id,
        ancestorIds: [...parent.ancestorIds, parent.id],
        delegatorId: parent.delegatorId,
        requestedBy: parent.requestedBy,
        issuedByType: "lease",
        issuedById: parent.id,
        approvedById: parent.approvedById,
        purpose: input.purpose,
        taskRef: parent.taskRef,
        intent: input.intent as Prisma.InputJsonValue | undefined,
        environment: parent.environment,
        grants: input.grants as Prisma.InputJsonValue,
        deny,
        requireApproval,
        status: "active",
        expiresAt,
        maxToolCalls: input.maxToolCalls,
        maxDelegationDepth,
        depth: parent.depth + 1,
      },
    });
    await appendAudit(tx, {
      action: "lease.delegated",
      actor: { type: "enforcement_point", id: ep.id, label: ep.name },
      subject: { type: "lease", id: l.id },
      agentId: agent.id,
      runId,
      leaseId: l.id,
      leaseVersion: l.version,
      tokenJti: parent.id,
      payload: { parentLeaseId: parent.id, parentRunId: parent.runId, lease: toLeaseView(l), entitlements },
    });
    await publish(tx, { type: "run.event", runIds: [parent.runId, runId] });
    return l;
  });
  await touchLastLease(db, child.agentId, now());
  return { lease: toLeaseView(child), leaseToken: await signLeaseToken(db, child) };
}
