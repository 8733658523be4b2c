import { z } from "zod";
import type { Prisma } from "@/lib/generated/prisma/client";
import { notFound } from "@/lib/errors";
import { badString } from "@/lib/schemas/text";
import type { Db } from "@/lib/db";
import type { LeaseListQuery } from "@/lib/leases/schemas";
import { toLeaseView } from "@/lib/leases/view";

export async function listLeases(db: Db, q: z.infer<typeof LeaseListQuery>) {
  const where: Prisma.LeaseWhereInput = {
    ...(q.status ? { status: q.status } : {}),
    ...(q.agentId ? { agentId: q.agentId } : {}),
    ...(q.delegatorId ? { delegatorId: q.delegatorId } : {}),
  };
  const rows = await db.lease.findMany({ where, orderBy: { createdAt: "desc" }, take: q.limit });
  return rows.map(toLeaseView);
}

export async function getLease(db: Db, id: string) {
  const l = await db.lease.findUnique({ where: { id } });
  if (!l) throw notFound(`lease ${id}`);
  return toLeaseView(l);
}

/** Everything the lease page shows: the lease, its agent and people, its delegation tree and its latest decisions. */
export async function getLeaseDetail(db: Db, id: string) {
  if (badString(id)) throw notFound("lease"); // from a page's address: PostgreSQL would fail on it (a 500)
  const l = await db.lease.findUnique({
    where: { id },
    include: {
      agent: { select: { id: true, name: true, status: true } },
      delegator: { select: { id: true, email: true, name: true } },
      approvedBy: { select: { id: true, email: true, name: true } },
    },
  });
  if (!l) throw notFound(`lease ${id}`);
  const rootId = l.ancestorIds[0] ?? l.id;
  const tree = await db.lease.findMany({
    where: { OR: [{ id: rootId }, { ancestorIds: { has: rootId } }] },
    select: { id: true, parentLeaseId: true, agentId: true, status: true, depth: true, purpose: true, toolCallsUsed: true, maxToolCalls: true, agent: { select: { name: true } } },
    orderBy: [{ depth: "asc" }, { createdAt: "asc" }],
  });
  const decisions = await db.decision.findMany({ where: { leaseId: id }, orderBy: { createdAt: "desc" }, take: 50 });
  return {
    lease: toLeaseView(l),
    agent: l.agent,
    delegator: l.delegator,
    approvedBy: l.approvedBy,
    tree,
    decisions: decisions.map((d) => ({
      id: d.id,
      tool: d.tool,
      resource: d.resource as { type: string; id: string } | null,
      outcome: d.outcome,
      reasons: d.reasons as { code: string; message: string }[],
      escalationId: d.escalationId,
      createdAt: d.createdAt.toISOString(),
    })),
  };
}
