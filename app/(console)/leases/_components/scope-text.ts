import { constraintText } from "@/lib/leases/constraint-usage";
import type { Grant } from "@/lib/leases/schemas";

/** The resources a grant covers, then its constraints if any: "contract c-* (at most 50 records, tenant acme)". */
export function scopeText(g: Grant): string {
  const limits = g.constraints || g.production ? ` (${constraintText({ production: g.production === true, ...g.constraints, recordsUsed: null })})` : "";
  if (!g.resource) return `any resource${limits}`;
  const ids = g.resource.ids.length ? g.resource.ids.join(", ") : "(no ids)";
  return `${g.resource.type || "(no type)"} ${ids}${limits}`;
}
