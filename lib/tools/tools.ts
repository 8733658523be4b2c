import { notFound } from "@/lib/errors";
import { appendAudit, changes } from "@/lib/audit/append";
import type { Actor } from "@/lib/auth/permissions";
import type { Db } from "@/lib/db";
import { publish } from "@/lib/events/bus";
import { forgetToolCatalog } from "@/lib/tools/catalog";
import type { ToolUpsert, ToolView } from "@/lib/tools/schemas";

const view = (t: ToolView): ToolView => ({ name: t.name, description: t.description, risk: t.risk, readOnly: t.readOnly, alwaysStepUp: t.alwaysStepUp, requiredApprovals: t.requiredApprovals });

export async function listTools(db: Db): Promise<ToolView[]> {
  return (await db.tool.findMany({ orderBy: { name: "asc" } })).map((t) => view(t as ToolView));
}

export async function upsertTool(db: Db, actor: Actor, input: ToolUpsert) {
  const result = await db.$transaction(async (tx) => {
    const before = await tx.tool.findUnique({ where: { name: input.name } });
    const t = await tx.tool.upsert({ where: { name: input.name }, create: input, update: input });
    await appendAudit(tx, {
      action: before ? "tool.updated" : "tool.created",
      actor: { type: "user", id: actor.id, label: actor.email },
      subject: { type: "tool", id: t.name },
      tool: t.name,
      payload: before ? { changes: changes(view(before as ToolView), view(t as ToolView)) } : { after: view(t as ToolView) },
    });
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
