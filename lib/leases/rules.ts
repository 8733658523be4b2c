import { can } from "@/lib/auth/permissions";

/**
 * Object-level rules about one lease and one person, pure so that lib (which enforces them) and the
 * console's pages and components (which show or hide the controls) apply the very same rule.
 */

/** May `actor` revoke `lease`? Anyone with leases.revoke.any; with leases.revoke.own, only the leases they delegated. Whether the lease is still live is a separate question. */
export function canRevokeLease(actor: { id: string; role: string }, lease: { delegatorId: string | null }): boolean {
  if (can(actor, "leases.revoke.any")) return true;
  return can(actor, "leases.revoke.own") && lease.delegatorId !== null && lease.delegatorId === actor.id;
}

/** Is `lease` the person's own request (they delegated it, or it was requested in their name)? Then someone else must approve it and its escalations. */
export function isOwnRequest(person: { id: string; email: string }, lease: { delegatorId: string | null; requestedBy: string }): boolean {
  if (lease.delegatorId !== null && lease.delegatorId === person.id) return true;
  return lease.requestedBy !== "" && lease.requestedBy.toLowerCase() === person.email.toLowerCase();
}
