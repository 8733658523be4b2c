import type { Grant } from "@/lib/leases/schemas";
import { patternCovers } from "@/lib/leases/scope";
import { riskOf } from "@/lib/tools/risk";

export type EntitlementSubject = "role" | "group" | "person";
export type ResourceScope = { type: string; ids: string[] };

/** What one entitlement lets its holder delegate. `tools`/`environments` may hold "*". */
export type EntitlementTerms = {
  id: string;
  subjectType: string;
  subjectId: string;
  tools: string[];
  maxRisk: string | null;
  environments: string[];
  resources: ResourceScope[] | null;
};

/** Does `e` let its holder delegate `tool` (of catalog risk `risk`) in `environment` at all, ignoring resources? */
export function coversTool(e: EntitlementTerms, tool: string, risk: string | undefined, environment: string): boolean {
  if (!e.tools.includes("*") && !e.tools.includes(tool)) return false;
  // An unknown tool ranks as critical (riskOf fails closed), so a capped entitlement never covers it.
  if (e.maxRisk !== null && riskOf(risk) > riskOf(e.maxRisk)) return false;
  return e.environments.includes("*") || e.environments.includes(environment);
}

/** Is resource id (or pattern) `id` of `type` within one of `e`'s resource scopes? No scopes: any resource. */
function coversId(e: EntitlementTerms, type: string, id: string): boolean {
  if (e.resources === null) return true;
  return e.resources.some((s) => s.type === type && s.ids.some((p) => patternCovers(p, id)));
}

export type Coverage = { ok: true; entitlementIds: string[] } | { ok: false; reason: string };

/**
 * Do `entitlements` (a person's whole delegable set) cover `grant` in `environment`? A grant on any
 * resource needs an entitlement without resource scopes; a grant on ids needs each id within some
 * entitlement's scope. Returns the ids of the entitlements that decided, or why none does. Pure.
 */
export function grantCoverage(entitlements: EntitlementTerms[], grant: Grant, environment: string, risk: string | undefined): Coverage {
  const forTool = entitlements.filter((e) => coversTool(e, grant.tool, risk, environment));
  if (forTool.length === 0) {
    const elsewhere = entitlements.some((e) => coversTool(e, grant.tool, risk, e.environments[0] ?? environment));
    return { ok: false, reason: elsewhere ? `you may not delegate ${grant.tool} in ${environment}` : entitlements.length === 0 ? `you have no entitlements to delegate anything` : `your entitlements do not include ${grant.tool}${risk ? ` (${risk} risk)` : ""}` };
  }
  if (!grant.resource) {
    const whole = forTool.find((e) => e.resources === null);
    return whole ? { ok: true, entitlementIds: [whole.id] } : { ok: false, reason: `you may delegate ${grant.tool} only on some resources: name them` };
  }
  const { type, ids } = grant.resource;
  const used = new Set<string>();
  for (const id of ids) {
    const e = forTool.find((x) => coversId(x, type, id));
    if (!e) return { ok: false, reason: `you may not delegate ${grant.tool} on ${type} ${id}` };
    used.add(e.id);
  }
  return { ok: true, entitlementIds: [...used] };
}

export type GrantsCoverage = { ok: true; byGrant: string[][] } | { ok: false; violations: { index: number; tool: string; reason: string }[] };

/** `grantCoverage` for each grant of a lease; one violation per grant no entitlement covers. Pure. */
export function grantsCoverage(entitlements: EntitlementTerms[], grants: Grant[], environment: string, risks: ReadonlyMap<string, string>): GrantsCoverage {
  const byGrant: string[][] = [];
  const violations: { index: number; tool: string; reason: string }[] = [];
  grants.forEach((g, index) => {
    const c = grantCoverage(entitlements, g, environment, risks.get(g.tool));
    if (c.ok) byGrant.push(c.entitlementIds);
    else violations.push({ index, tool: g.tool, reason: c.reason });
  });
  return violations.length ? { ok: false, violations } : { ok: true, byGrant };
}
