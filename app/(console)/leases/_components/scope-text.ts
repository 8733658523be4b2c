import type { Grant } from "@/lib/leases/schemas";

export function scopeText(g: Grant): string {
  if (!g.resource) return "any resource";
  const ids = g.resource.ids.length ? g.resource.ids.join(", ") : "(no ids)";
  return `${g.resource.type || "(no type)"} ${ids}`;
}
