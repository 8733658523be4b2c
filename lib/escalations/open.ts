import { Prisma } from "@/lib/generated/prisma/client";
import { appendAudit, type AuditActor } from "@/lib/audit/append";
import type { Tx } from "@/lib/db";
import { publish } from "@/lib/events/bus";
import { newId } from "@/lib/ids";
import { enqueueEscalationNotifications } from "@/lib/notifications/outbox";
import { routeEscalation } from "@/lib/routing/route";
import { enqueueWebhookEvent } from "@/lib/webhooks/outbox";

export type OpenEscalation = {
  kind: "step_up" | "more_permission" | "lease_request" | "extension";
  lease: { id: string; runId: string; agentId: string; version: number; expiresAt: Date };
  tool: string | null;
  resource: { type: string; id: string } | null;
  /** a step-up's call arguments (when sent) and their digest, which its approval is then bound to */
  arguments?: Record<string, unknown> | null;
  argumentsDigest?: string | null;
  /** an extension's asked limits (absolute), which its approval raises the lease to */
  extension?: { expiresAt?: string; maxToolCalls?: number } | null;
  justification: string;
  /** the riskiest tool involved: sets the approvers needed and the approval window */
  risk: string;
  requiredApprovals?: number | null;
  decisionId?: string | null;
  enforcementPointId?: string | null;
  requestedById?: string | null;
  actor: AuditActor;
  at: Date;
};

/**
 * The one way an escalation is opened. A question already waiting (same kind, lease, tool and
 * resource) is joined rather than asked twice; a new one is audited, announced to every instance on
 * commit, and queued for the webhooks, all in the caller's transaction.
 */
export async function openEscalation(tx: Tx, o: OpenEscalation): Promise<{ id: string; created: boolean }> {
  // Calls with other arguments are other questions (an approval is bound to its digest): they do not join.
  const dedupeKey = `${o.kind}|${o.lease.id}|${o.tool ?? "*"}|${o.resource ? `${o.resource.type}:${o.resource.id}` : "*"}${o.argumentsDigest ? `|${o.argumentsDigest}` : ""}`;
  const id = newId("esc");
  // Routing (issue 17) picks the approver groups, the threshold (never below the risk's) and the window.
  const routed = await routeEscalation(tx, { leaseId: o.lease.id, agentId: o.lease.agentId, tool: o.tool, risk: o.risk, toolRequiredApprovals: o.requiredApprovals ?? null });
  const expiresAt = new Date(Math.min(o.at.getTime() + routed.windowMs, o.lease.expiresAt.getTime()));
  const inserted = await tx.$queryRaw<{ id: string }[]>(Prisma.sql`
    INSERT INTO "escalations" ("id", "kind", "leaseId", "runId", "agentId", "decisionId", "enforcementPointId", "requestedById", "tool",
      "resource", "arguments", "argumentsDigest", "extension", "justification", "dedupeKey", "status", "requiredApprovals", "expiresAt", "createdAt", "routeId", "assignedGroupIds")
    VALUES (${id}, ${o.kind}, ${o.lease.id}, ${o.lease.runId}, ${o.lease.agentId}, ${o.decisionId ?? null}, ${o.enforcementPointId ?? null},
      ${o.requestedById ?? null}, ${o.tool}, ${o.resource === null ? null : JSON.stringify(o.resource)}::jsonb,
      ${o.arguments ? JSON.stringify(o.arguments) : null}::jsonb, ${o.argumentsDigest ?? null}, ${o.extension ? JSON.stringify(o.extension) : null}::jsonb, ${o.justification}, ${dedupeKey},
      'pending', ${routed.requiredApprovals}::integer, ${expiresAt}, ${o.at}, ${routed.routeId}, ${routed.groupIds}::text[])
    ON CONFLICT ("dedupeKey") WHERE "status" = 'pending' DO NOTHING
    RETURNING "id"`);
  if (!inserted[0]) {
    const existing = await tx.escalation.findFirst({ where: { dedupeKey, status: "pending" }, select: { id: true } });
    if (!existing) throw new EscalationRace();
    return { id: existing.id, created: false };
  }
  await appendAudit(tx, {
    action: "escalation.created",
    actor: o.actor,
    subject: { type: "escalation", id },
    agentId: o.lease.agentId,
    runId: o.lease.runId,
    leaseId: o.lease.id,
    escalationId: id,
    decisionId: o.decisionId ?? null,
    leaseVersion: o.lease.version,
    tool: o.tool,
    payload: { kind: o.kind, resource: o.resource, ...(o.argumentsDigest ? { argumentsDigest: o.argumentsDigest } : {}), ...(o.extension ? { extension: o.extension } : {}), risk: o.risk, justification: o.justification, expiresAt: expiresAt.toISOString(), requiredApprovals: routed.requiredApprovals, routeId: routed.routeId, assignedGroupIds: routed.groupIds },
  });
  await enqueueEscalationNotifications(tx, id, routed.groupIds, routed.lease);
  await publish(tx, { type: "escalation.created", escalationId: id, leaseId: o.lease.id, runId: o.lease.runId, status: "pending" });
  await enqueueWebhookEvent(tx, "escalation.created", { escalationId: id, kind: o.kind, leaseId: o.lease.id, runId: o.lease.runId, agentId: o.lease.agentId, tool: o.tool, resource: o.resource, risk: o.risk, status: "pending", expiresAt: expiresAt.toISOString() });
  return { id, created: true };
}

/** The waiting escalation was decided between our insert and our lookup: the caller retries. */
export class EscalationRace extends Error {}
