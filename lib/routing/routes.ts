import { AppError, notFound } from "@/lib/errors";
import { appendAudit, changes, type AuditActor } from "@/lib/audit/append";
import type { Actor } from "@/lib/auth/permissions";
import type { Db, Tx } from "@/lib/db";
import { newId } from "@/lib/ids";
import type { ApprovalRouteCreate, ApprovalRoutePatch, ApprovalRouteView } from "@/lib/routing/schemas";

type Row = { id: string; name: string; position: number; agentId: string | null; tool: string | null; risk: string | null; environment: string | null; groupIds: string[]; requiredApprovals: number | null; windowMinutes: number | null; createdAt: Date; updatedAt: Date };

export const toRouteView = (r: Row): ApprovalRouteView => ({
  ...r,
  risk: r.risk as ApprovalRouteView["risk"],
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

const who = (actor: Actor): AuditActor => ({ type: "user", id: actor.id, label: actor.email });
const pick = (r: Row) => ({ name: r.name, position: r.position, agentId: r.agentId, tool: r.tool, risk: r.risk, environment: r.environment, groupIds: r.groupIds, requiredApprovals: r.requiredApprovals, windowMinutes: r.windowMinutes });

export async function listApprovalRoutes(db: Db) {
  return (await db.approvalRoute.findMany({ orderBy: [{ position: "asc" }, { id: "asc" }] })).map(toRouteView);
}

/** A route names groups and an agent that exist: a typo would silently route to nobody. */
async function checkReferences(tx: Tx, r: { agentId?: string | null; groupIds?: string[] }) {
  if (r.groupIds) {
    const ids = [...new Set(r.groupIds)];
    const found = await tx.group.findMany({ where: { id: { in: ids } }, select: { id: true } });
    const missing = ids.filter((id) => !found.some((g) => g.id === id));
    if (missing.length) throw new AppError("unprocessable", `no such group: ${missing.join(", ")}`, [{ path: ["groupIds"], message: "unknown group" }]);
  }
  if (r.agentId && !(await tx.agent.findUnique({ where: { id: r.agentId }, select: { id: true } }))) {
    throw new AppError("unprocessable", `no such agent: ${r.agentId}`, [{ path: ["agentId"], message: "unknown agent" }]);
  }
}

export async function createApprovalRoute(db: Db, actor: Actor, input: ApprovalRouteCreate) {
  return db.$transaction(async (tx) => {
    await checkReferences(tx, input);
    const last = await tx.approvalRoute.aggregate({ _max: { position: true } });
    const r = await tx.approvalRoute.create({
      data: {
        id: newId("rte"),
        name: input.name,
        position: input.position ?? (last._max.position ?? 0) + 10,
        agentId: input.agentId ?? null,
        tool: input.tool ?? null,
        risk: input.risk ?? null,
        environment: input.environment ?? null,
        groupIds: [...new Set(input.groupIds)],
        requiredApprovals: input.requiredApprovals ?? null,
        windowMinutes: input.windowMinutes ?? null,
      },
    });
    await appendAudit(tx, { action: "approval_route.created", actor: who(actor), subject: { type: "approval_route", id: r.id }, payload: { after: pick(r) } });
    return toRouteView(r);
  });
}

export async function updateApprovalRoute(db: Db, actor: Actor, id: string, patch: ApprovalRoutePatch) {
  return db.$transaction(async (tx) => {
    const before = await tx.approvalRoute.findUnique({ where: { id } });
    if (!before) throw notFound(`approval route ${id}`);
    await checkReferences(tx, patch);
    const r = await tx.approvalRoute.update({ where: { id }, data: { ...patch, ...(patch.groupIds ? { groupIds: [...new Set(patch.groupIds)] } : {}) } });
    await appendAudit(tx, { action: "approval_route.updated", actor: who(actor), subject: { type: "approval_route", id }, payload: { changes: changes(pick(before), pick(r)) } });
    return toRouteView(r);
  });
}

export async function deleteApprovalRoute(db: Db, actor: Actor, id: string) {
  return db.$transaction(async (tx) => {
    const gone = await tx.approvalRoute.deleteMany({ where: { id } });
    if (!gone.count) throw notFound(`approval route ${id}`);
    await appendAudit(tx, { action: "approval_route.deleted", actor: who(actor), subject: { type: "approval_route", id } });
    return { deleted: id };
  });
}
