import { AppError, conflict, notFound } from "@/lib/api/errors";
import type { EnforcementPointActor } from "@/lib/auth/enforcement-point";
import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";
import { openEscalation } from "@/lib/escalations/open";
import type { EscalationCreate } from "@/lib/escalations/schemas";
import { escalationInclude, toEscalationView } from "@/lib/escalations/view";
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
  const lease = await db.lease.findUnique({ where: { id: token.claims.leaseId }, include: { agent: true } });
  if (!lease) throw notFound(`lease ${token.claims.leaseId}`);
  const at = now();
  if (lease.status !== "active" || lease.expiresAt.getTime() <= at.getTime()) throw conflict(`lease ${lease.id} is ${lease.status === "active" ? "expired" : lease.status}`);
  const chainDeny = lease.ancestorIds.length ? (await db.lease.findMany({ where: { id: { in: lease.ancestorIds } }, select: { deny: true } })).flatMap((l) => l.deny) : [];
  if ([...lease.deny, ...chainDeny].includes(input.tool)) throw new AppError("unprocessable", `${input.tool} is never allowed by this lease; no approval can change that`, [{ path: ["tool"], message: "tool_denied" }]);
  const resource = input.resource ? { type: input.resource.type, id: input.resource.id } : null;
  const granted = matchGrant(lease.grants as Grant[], input.tool, input.resource).ok;
  if (input.kind === "step_up" && !granted) {
    throw new AppError("unprocessable", `${input.tool} is not granted by the lease: ask for more_permission instead`, [{ path: ["kind"], message: "tool_not_granted" }]);
  }
  if (input.kind === "more_permission") {
    if (granted) throw conflict(`${input.tool} is already granted by the lease`);
    if (!lease.agent.ceilingTools.includes(input.tool)) {
      throw new AppError("unprocessable", `${input.tool} is beyond ${lease.agent.name}'s ceiling`, [{ path: ["tool"], message: "beyond the agent's ceiling" }]);
    }
  }
  const tool = (await toolCatalog(db)).get(input.tool);
  const { id } = await db.$transaction((tx) =>
    openEscalation(tx, {
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
    }),
  );
  return { escalation: toEscalationView(await db.escalation.findUniqueOrThrow({ where: { id }, include: escalationInclude })) };
}
