import type { Permission } from "@/lib/auth/permissions";

/** The console's sections and the permission each needs (a plain module: the layout filters it on the server). */
export const NAV = [
  { href: "/", label: "Dashboard", permission: "console.view" },
  { href: "/approvals", label: "Approvals", permission: "approvals.read" },
  { href: "/leases", label: "Leases", permission: "leases.read" },
  { href: "/runs", label: "Runs", permission: "runs.read" },
  { href: "/audit", label: "Audit", permission: "audit.read" },
  { href: "/agents", label: "Agents", permission: "agents.read" },
  { href: "/settings", label: "Settings", permission: "people.manage" },
] as const satisfies readonly { href: string; label: string; permission: Permission }[];
