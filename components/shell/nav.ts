import type { Permission } from "@/lib/auth/permissions";

/** The console's sections and the permission each needs (a plain module: the layout filters it on the server). */
export const NAV = [
  { href: "/", label: "Dashboard", permission: "console.view" },
  { href: "/approvals", label: "Approvals", permission: "approvals.read" },
  { href: "/leases", label: "Leases", permission: "leases.read" },
  { href: "/runs", label: "Runs", permission: "runs.read" },
  { href: "/audit", label: "Audit", permission: "audit.read" },
  { href: "/agents", label: "Agents", permission: "agents.read" },
  // Auditors read policies but not the rest of /settings (admin-only): their own way in.
  { href: "/settings/policies", label: "Policies", permission: "policies.read" },
  { href: "/settings", label: "Settings", permission: "people.manage" },
] as const satisfies readonly { href: string; label: string; permission: Permission }[];

/** The one nav item a path belongs to: the longest href it is at or under (so /settings/policies is Policies, not Settings too). */
export function activeHref(path: string, hrefs: readonly string[]): string | null {
  let best: string | null = null;
  for (const h of hrefs) {
    const under = h === "/" ? path === "/" : path === h || path.startsWith(`${h}/`);
    if (under && (best === null || h.length > best.length)) best = h;
  }
  return best;
}
