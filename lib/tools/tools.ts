import { notFound } from "@/lib/errors";
import { Prisma } from "@/lib/generated/prisma/client";
import { appendAudit, changes } from "@/lib/audit/append";
import type { Actor } from "@/lib/auth/permissions";
import type { Db } from "@/lib/db";
import { lockEntitlementChanges, recheckAuthority } from "@/lib/entitlements/recheck";
import { publish } from "@/lib/events/bus";
import { forgetToolCatalog } from "@/lib/tools/catalog";
import type { ToolUpsert, ToolView } from "@/lib/tools/schemas";

const view = (t: ToolView): ToolView => ({ name: t.name, description: t.description, risk: t.risk, readOnly: t.readOnly, alwaysStepUp: t.alwaysStepUp, requiredApprovals: t.requiredApprovals });

export async function listTools(db: Db): Promise<ToolView[]> {
  return (await db.tool.findMany({ orderBy: { name: "asc" } })).map((t) => view(t as ToolView));
}

export async function upsertTool(db: Db, actor: Actor, input: ToolUpsert) {
  const who = { type: "user" as const, id: actor.id, label: actor.email };
  const result = await db.$transaction(async (tx) => {
    // A tool's risk is part of what "up to <risk>" entitlements cover: a change to it is an entitlement change (same lock, taken first).
    await lockEntitlementChanges(tx);
    const before = await tx.tool.findUnique({ where: { name: input.name } });
    const t = await tx.tool.upsert({ where: { name: input.name }, create: input, update: input });
    await appendAudit(tx, {
      action: before ? "tool.updated" : "tool.created",
      actor: who,
      subject: { type: "tool", id: t.name },
      tool: t.name,
      payload: before ? { changes: changes(view(before as ToolView), view(t as ToolView)) } : { after: view(t as ToolView) },
    });
    if (before && before.risk !== t.risk) {
      // Whose delegable set may have changed in a way that matters now: the delegators of live leases granting the tool.
      const delegators = await tx.$queryRaw<{ delegatorId: string }[]>(
        Prisma.sql`SELECT DISTINCT "delegatorId" FROM "leases" WHERE "status" IN ('active', 'pending_approval') AND "delegatorId" IS NOT NULL AND "grants" @> ${JSON.stringify([{ tool: t.name }])}::jsonb`,
      );
      await recheckAuthority(tx, { userIds: delegators.map((d) => d.delegatorId), actor: who, reason: `tool ${t.name} is now ${t.risk} risk (was ${before.risk})` });
    }
    await publish(tx, { type: "tools.changed" });
    return view(t as ToolView);
  });
  forgetToolCatalog();
  return result;
}

export async function getTool(db: Db, name: string) {
  const t = await db.tool.findUnique({ where: { name } });
  if (!t) throw notFound(`tool ${name}`);
  return view(t as ToolView);
}
