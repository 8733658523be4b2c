import { AppError, conflict, notFound } from "@/lib/errors";
import type { EnforcementPointActor } from "@/lib/auth/enforcement-point";
import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";
import { openEscalation } from "@/lib/escalations/open";
import { assertDelegable } from "@/lib/entitlements/check";
import type { EscalationCreate } from "@/lib/escalations/schemas";
import { escalationInclude, toEscalationView } from "@/lib/escalations/view";
import { deadLink, delegatorActive, grantFor, isResourcePattern, lockChain, uncoveringAncestor } from "@/lib/leases/chain";
import type { Grant } from "@/lib/leases/schemas";
import { matchGrant } from "@/lib/leases/scope";
import { toolCatalog } from "@/lib/tools/catalog";
import { verifyLeaseToken } from "@/lib/tokens/lease-token";

/**
 * POST /api/v1/escalations: an agent (through its enforcement point) asks people for one call it may
 * not make alone (step_up) or for more than its lease grants (more_permission, within the agent's ceiling).
 */
export async function createEscalation(db: Db, ep: EnforcementPointActor, input: EscalationCreate) {
  const token = await verifyLeaseToken(db, input.leaseToken);
  if (!token.ok) throw new AppError("forbidden", `leaseToken: ${token.message}`, [{ path: ["leaseToken"], message: token.code }]);
  const at = now();
  const tool = (await toolCatalog(db)).get(input.tool);
  const resource = input.resource ? { type: input.resource.type, id: input.resource.id } : null;
  const { id } = await db.$transaction(async (tx) => {
    // The whole chain, locked FOR SHARE until the escalation is open: a revocation of any ancestor
    // either came first (and we refuse) or waits and then cancels this escalation with the lease.
    const chain = await lockChain(tx, token.claims.leaseId, "share");
    if (!chain) throw notFound(`lease ${token.claims.leaseId}`);
    const lease = chain[0]!;
    const dead = deadLink(chain, at);
    if (dead) {
      const state = dead.status === "active" ? "expired" : dead.status;
      throw conflict(dead === lease ? `lease ${lease.id} is ${state}` : `ancestor lease ${dead.id} is ${state}; lease ${lease.id} can ask for nothing`);
    }
    if (!(await delegatorActive(tx, lease.delegatorId))) throw conflict(`the person who delegated lease ${lease.id} is not active; it can ask for nothing`);
    if (chain.some((l) => l.deny.includes(input.tool))) throw new AppError("unprocessable", `${input.tool} is never allowed by this lease; no approval can change that`, [{ path: ["tool"], message: "tool_denied" }]);
    const granted = matchGrant(lease.grants as Grant[], input.tool, input.resource).ok;
    if (input.kind === "step_up" && !granted) {
      throw new AppError("unprocessable", `${input.tool} is not granted by the lease: ask for more_permission instead`, [{ path: ["kind"], message: "tool_not_granted" }]);
    }
    if (input.kind === "more_permission") {
      // One resource, never a pattern: the approver is shown one id, and `contract_1*` (or `*`) would grant every match.
      if (resource && isResourcePattern(resource.id)) {
        throw new AppError("unprocessable", `more_permission asks for one resource; ${resource.type} ${resource.id} would grant every id it matches`, [{ path: ["resource", "id"], message: "must not end with *" }]);
      }
      // No approval may give a lease more than its ancestors hold: refused before it reaches anyone.
      const short = uncoveringAncestor(chain.slice(1), grantFor(input.tool, resource));
      if (short) {
        throw new AppError("unprocessable", `${input.tool}${resource ? ` on ${resource.type} ${resource.id}` : ""} is not granted by ancestor lease ${short.id}; a subagent's lease cannot hold more than its parent's`, [{ path: ["tool"], message: "beyond an ancestor lease" }]);
      }
      if (granted) throw conflict(`${input.tool} is already granted by the lease`);
      const agent = await tx.agent.findUniqueOrThrow({ where: { id: lease.agentId } });
      if (!agent.ceilingTools.includes(input.tool)) {
        throw new AppError("unprocessable", `${input.tool} is beyond ${agent.name}'s ceiling`, [{ path: ["tool"], message: "beyond the agent's ceiling" }]);
      }
      // Nor more than its delegator may delegate (issue 15): asked early here, checked again under lock at approval.
      const delegator = await tx.user.findUniqueOrThrow({ where: { id: lease.delegatorId! }, select: { id: true, role: true } });
      await assertDelegable(tx, delegator, [grantFor(input.tool, resource)], lease.environment, { code: "unprocessable", path: () => ["tool"] });
    }
    return openEscalation(tx, {
      kind: input.kind,
      lease,
      tool: input.tool,
      resource,
      justification: input.justification,
      risk: tool?.risk ?? "critical",
      requiredApprovals: tool?.requiredApprovals ?? null,
      enforcementPointId: ep.id,
      actor: { type: "enforcement_point", id: ep.id, label: ep.name },
      at,
    });
  });
  return { escalation: toEscalationView(await db.escalation.findUniqueOrThrow({ where: { id }, include: escalationInclude })) };
}
