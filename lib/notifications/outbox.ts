import type { Tx } from "@/lib/db";
import { newId } from "@/lib/ids";
import { isOwnRequest } from "@/lib/leases/rules";
import { DECIDING_ROLES } from "@/lib/routing/route";

/**
 * The people who may vote on an escalation assigned to `groupIds` (none: every approver): active, with a
 * role that decides, in one of the groups, and not the lease's own delegator or requester.
 */
export async function assignedApprovers(tx: Tx, groupIds: readonly string[], lease: { delegatorId: string | null; requestedBy: string }) {
  const people = await tx.user.findMany({
    where: { status: "active", role: { in: DECIDING_ROLES }, ...(groupIds.length ? { groups: { some: { groupId: { in: [...groupIds] } } } } : {}) },
    select: { id: true, email: true },
    orderBy: { id: "asc" },
  });
  return people.filter((p) => p.email && !isOwnRequest(p, lease));
}

/**
 * Queues one mail per assigned approver in the escalation's transaction (an outbox): nothing is sent from
 * inside it, a rollback announces nothing, and the notification job sends after commit, with retries.
 */
export async function enqueueEscalationNotifications(tx: Tx, escalationId: string, groupIds: readonly string[], lease: { delegatorId: string | null; requestedBy: string }): Promise<number> {
  const people = await assignedApprovers(tx, groupIds, lease);
  if (!people.length) return 0;
  await tx.notification.createMany({ data: people.map((p) => ({ id: newId("ntf"), kind: "escalation_assigned", userId: p.id, email: p.email, escalationIds: [escalationId] })) });
  return people.length;
}
