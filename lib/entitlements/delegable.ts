import type { Db } from "@/lib/db";
import { notFound } from "@/lib/errors";
import { coversTool } from "@/lib/entitlements/coverage";
import { entitlementsOf } from "@/lib/entitlements/load";

export type DelegableTool = {
  tool: string;
  risk: string;
  /** "*" or the environments this person may delegate the tool in; empty when not delegable */
  environments: "*" | string[];
  /** null: any resource; else the scopes the tool may be delegated on */
  resources: { type: string; ids: string[] }[] | null;
  entitlementIds: string[];
  /** why the tool is missing (for the lease form), null when delegable */
  missing: string | null;
};

/** Per catalog tool, what `userId` may delegate (environments, resource scopes) and why a tool is missing. */
export async function delegableFor(db: Db, userId: string): Promise<DelegableTool[]> {
  const person = await db.user.findUnique({ where: { id: userId }, select: { id: true, role: true, status: true } });
  if (!person) throw notFound(`person ${userId}`);
  const [ents, tools] = await Promise.all([entitlementsOf(db, person), db.tool.findMany({ orderBy: { name: "asc" } })]);
  return tools.map((t) => {
    const named = ents.filter((e) => e.tools.includes("*") || e.tools.includes(t.name));
    const covering = named.filter((e) => coversTool(e, t.name, t.risk, e.environments.includes("*") ? "*" : (e.environments[0] ?? "")));
    const environments: "*" | string[] = covering.some((e) => e.environments.includes("*")) ? "*" : [...new Set(covering.flatMap((e) => e.environments))].sort();
    const resources = covering.length === 0 || covering.some((e) => e.resources === null) ? null : covering.flatMap((e) => e.resources ?? []);
    let missing: string | null = null;
    if (person.status !== "active") missing = "your account is not active";
    else if (ents.length === 0) missing = `your role (${person.role}) has no entitlements and no group or personal entitlement adds any`;
    else if (named.length === 0) missing = `${t.name} is in none of your entitlements (role ${person.role}, your groups, your own)`;
    else if (covering.length === 0) missing = `${t.name} is ${t.risk} risk: your entitlements cover it only up to ${named.map((e) => e.maxRisk).join(", ")} risk`;
    return { tool: t.name, risk: t.risk, environments: missing ? [] : environments, resources: missing ? [] : resources, entitlementIds: missing ? [] : covering.map((e) => e.id), missing };
  });
}
