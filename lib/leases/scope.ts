import type { Grant } from "@/lib/leases/schemas";

/**
 * A `.` or `..` path segment (also percent-encoded, and with `\` as separator): `customers/acme/../globex`
 * starts with `customers/acme/` but a tool that resolves paths reads globex's records.
 */
const DOT_SEGMENT = /(?:^|[/\\]|%2f|%5c)(?:\.|%2e){1,2}(?:[/\\]|%2f|%5c|$)/i;

/** Does `id` extend `prefix` without a dot segment that could climb out of it? */
export function withinPrefix(prefix: string, id: string): boolean {
  return id.startsWith(prefix) && !DOT_SEGMENT.test(id);
}

/** Does resource-id pattern `outer` cover pattern (or id) `inner`? Patterns are exact or `prefix*`. */
export function patternCovers(outer: string, inner: string): boolean {
  if (!outer.endsWith("*")) return outer === inner;
  return withinPrefix(outer.slice(0, -1), inner);
}

/** Is every call `child` grants also granted by `parent`? Its constraints must be at least as tight, too. */
export function grantCovers(parent: Grant, child: Grant): boolean {
  return scopeCovers(parent, child) && constraintGap(parent, child) === null;
}

/** Tool and resource scope only, constraints aside. */
export function scopeCovers(parent: Grant, child: Grant): boolean {
  if (parent.tool !== child.tool) return false;
  if (!parent.resource) return true;
  if (!child.resource || child.resource.type !== parent.resource.type) return false;
  return child.resource.ids.every((id) => parent.resource!.ids.some((p) => patternCovers(p, id)));
}

/**
 * How `child`'s constraints go beyond `parent`'s (a looser or missing limit, a production grant the parent
 * lacks), or null when they attenuate it: maxRecords ≤, dataClasses ⊆, the same tenant.
 */
export function constraintGap(parent: Grant, child: Grant): string | null {
  const p = parent.constraints ?? {};
  const c = child.constraints ?? {};
  if (child.production && !parent.production) return "a production grant where the parent's is not one";
  if (p.maxRecords !== undefined && (c.maxRecords === undefined || c.maxRecords > p.maxRecords)) return `maxRecords ${c.maxRecords ?? "unlimited"} exceeds the parent's ${p.maxRecords}`;
  if (p.dataClasses && (!c.dataClasses || c.dataClasses.some((d) => !p.dataClasses!.includes(d)))) {
    return `dataClasses ${c.dataClasses?.join(", ") ?? "any"} go beyond the parent's ${p.dataClasses.join(", ")}`;
  }
  if (p.tenant !== undefined && c.tenant !== p.tenant) return `tenant ${c.tenant ?? "any"} is not the parent's ${p.tenant}`;
  return null;
}

export type ResourceRef = { type: string; id: string };

export type GrantMatch = { ok: true; grant: Grant } | { ok: false; code: "tool_not_granted" | "resource_out_of_scope" };

/** The grant of `grants` that allows `tool` on `resource`, or why none does. */
export function matchGrant(grants: Grant[], tool: string, resource: ResourceRef | undefined): GrantMatch {
  const forTool = grants.filter((g) => g.tool === tool);
  if (forTool.length === 0) return { ok: false, code: "tool_not_granted" };
  for (const g of forTool) {
    if (!g.resource) return { ok: true, grant: g };
    if (resource && resource.type === g.resource.type && g.resource.ids.some((p) => patternCovers(p, resource.id))) return { ok: true, grant: g };
  }
  return { ok: false, code: "resource_out_of_scope" };
}
