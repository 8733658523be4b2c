import type { Grant } from "@/lib/leases/schemas";

/** Does resource-id pattern `outer` cover pattern (or id) `inner`? Patterns are exact or `prefix*`. */
export function patternCovers(outer: string, inner: string): boolean {
  if (!outer.endsWith("*")) return outer === inner;
  const prefix = outer.slice(0, -1);
  return inner.startsWith(prefix);
}

/** Is every call `child` grants also granted by `parent`? */
export function grantCovers(parent: Grant, child: Grant): boolean {
  if (parent.tool !== child.tool) return false;
  if (!parent.resource) return true;
  if (!child.resource || child.resource.type !== parent.resource.type) return false;
  return child.resource.ids.every((id) => parent.resource!.ids.some((p) => patternCovers(p, id)));
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
