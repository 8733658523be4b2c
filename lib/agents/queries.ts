import type { Prisma } from "@/lib/generated/prisma/client";
import type { AgentListQuery } from "@/lib/agents/schemas";
import { agentInclude, DORMANT_AFTER_MS, toAgentView } from "@/lib/agents/view";
import { notFound } from "@/lib/errors";
import { badString } from "@/lib/schemas/text";
import type { Db } from "@/lib/db";
import { now } from "@/lib/clock";

export async function listAgents(db: Db, q: AgentListQuery) {
  const dormantBefore = new Date(now().getTime() - DORMANT_AFTER_MS);
  const where: Prisma.AgentWhereInput = {
    ...(q.status ? { status: q.status } : {}),
    ...(q.environment ? { environments: { has: q.environment } } : {}),
    ...(q.q
      ? { OR: [{ name: { contains: q.q, mode: "insensitive" } }, { description: { contains: q.q, mode: "insensitive" } }] }
      : {}),
    ...(q.flag === "orphaned" ? { OR: [{ ownerId: null }, { owner: { status: { not: "active" } } }] } : {}),
    ...(q.flag === "dormant"
      ? { OR: [{ lastLeaseAt: { lt: dormantBefore } }, { lastLeaseAt: null, createdAt: { lt: dormantBefore } }] }
      : {}),
  };
  const rows = await db.agent.findMany({ where, include: agentInclude, orderBy: { name: "asc" }, take: 1000 });
  return rows.map((a) => toAgentView(a));
}

export async function getAgent(db: Db, id: string) {
  if (badString(id)) throw notFound("agent"); // from a page's address: PostgreSQL would fail on it (a 500)
  const a = await db.agent.findUnique({ where: { id }, include: agentInclude });
  if (!a) throw notFound(`agent ${id}`);
  return toAgentView(a);
}
