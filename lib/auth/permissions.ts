// Permissions are data: a role names what it may do, and one check reads this table.
export const PERMISSIONS = [
  "console.view",
  "agents.read",
  "agents.manage",
  "tools.read",
  "tools.manage",
  "people.manage",
  "enforcement-points.manage",
  "leases.read",
  "leases.issue",
  "leases.revoke.own",
  "leases.revoke.any",
  "leases.approve",
  "approvals.read",
  "approvals.decide",
  "runs.read",
  "audit.read",
  "keys.rotate",
  "webhooks.manage",
  "connections.manage",
  "policies.read",
  "policies.manage",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ["admin", "approver", "auditor", "requester"] as const;
export type Role = (typeof ROLES)[number];

const READ_ALL: Permission[] = ["console.view", "agents.read", "tools.read", "leases.read", "runs.read", "approvals.read"];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: [...PERMISSIONS],
  approver: [...READ_ALL, "approvals.decide", "leases.approve"],
  auditor: [...READ_ALL, "audit.read", "policies.read"],
  requester: [...READ_ALL, "leases.issue", "leases.revoke.own"],
};

/** `session`: the console sign-in this actor came with (absent when not from a browser session); proofs of presence belong to it. */
export type Actor = { kind: "user"; id: string; email: string; name: string; role: string; session?: { id: string; version: number } };

function isRole(role: string): role is Role {
  return Object.hasOwn(ROLE_PERMISSIONS, role);
}

/** The one permission check. An unknown role, or no actor, can do nothing. */
export function can(actor: { role: string } | null | undefined, permission: Permission): boolean {
  if (!actor || !isRole(actor.role)) return false;
  return ROLE_PERMISSIONS[actor.role].includes(permission);
}
