import { AUDIT_ACTIONS } from "@/lib/audit/append";
import type { Db } from "@/lib/db";

/** What the explorer's pickers offer: agents by name, the catalog's tools, and the event types seen so far. */
export async function auditFilterOptions(db: Db) {
  const [agents, tools, actions] = await Promise.all([
    db.agent.findMany({ select: { id: true, name: true }, orderBy: { name: "asc" }, take: 1000 }),
    db.tool.findMany({ select: { name: true }, orderBy: { name: "asc" } }),
    // A loose index scan over the (action, seq) index: one probe per distinct action, however many events.
    db.$queryRaw<{ action: string }[]>`
      WITH RECURSIVE a AS (
        (SELECT "action" FROM "audit_events" ORDER BY "action" LIMIT 1)
        UNION ALL
        SELECT (SELECT "action" FROM "audit_events" WHERE "action" > a."action" ORDER BY "action" LIMIT 1) FROM a WHERE a."action" IS NOT NULL
      )
      SELECT "action" FROM a WHERE "action" IS NOT NULL`,
  ]);
  // Offered: each family (escalation finds escalation.*), then every known type, then any other seen.
  const known = AUDIT_ACTIONS.filter((a) => a !== "test.event");
  const families = [...new Set(known.filter((a) => a.includes(".")).map((a) => a.split(".")[0]!))];
  return { agents, tools: tools.map((t) => t.name), actions: [...new Set([...families, ...known, ...actions.map((a) => a.action)])] };
}
