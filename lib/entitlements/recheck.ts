import { Prisma } from "@/lib/generated/prisma/client";
import type { AuditActor } from "@/lib/audit/append";
import type { Tx } from "@/lib/db";
import { grantsCoverage } from "@/lib/entitlements/coverage";
import { entitlementsOf } from "@/lib/entitlements/load";
import { endLeaseTrees } from "@/lib/leases/end";
import type { Grant } from "@/lib/leases/schemas";
import { lockPerson } from "@/lib/people/lock";

/** The reason code a lease ends with when its delegator may no longer delegate what it grants. */
export const DELEGATOR_UNENTITLED = "delegator_unentitled";

/**
 * Serialises changes to who is entitled to what (entitlement create/delete, role changes, group
 * membership changes): each takes this transaction-scoped lock FIRST, before any person's row, so the
 * set of people a change affects cannot shift under it (a role change committing between "who has role
 * r" and "lock them"). Issuance does not take it: it holds the delegator's row, which every such change
 * locks FOR UPDATE (through recheckAuthority) before it commits.
 */
export async function lockEntitlementChanges(tx: Tx): Promise<void> {
  await tx.$executeRaw(Prisma.sql`SELECT pg_advisory_xact_lock(hashtext('lanyard.entitlements'))`);
}

export type Recheck = { revokedLeases: string[]; unfit: { leaseId: string; violations: { index: number; tool: string; reason: string }[] }[] };

/**
 * After a change to what `userIds` may delegate (role, group, entitlement): re-checks every live lease
 * they delegated (pending or active, children included: they carry the same delegator) against their
 * delegable set as the database has it now, and revokes those that no longer fit, cascading to their
 * descendants, audited with `delegator_unentitled` and the caller's reason. Call it in the transaction
 * that makes the change, after the change. The people are locked FOR UPDATE (id order; a no-op where the
 * caller holds it already), so an issuance on their authority either committed before (and its lease
 * is re-checked here) or waits and then reads the changed entitlements.
 */
export async function recheckAuthority(tx: Tx, args: { userIds: string[]; actor: AuditActor; reason: string }): Promise<Recheck> {
  const ids = [...new Set(args.userIds)].sort();
  const people = [];
  for (const id of ids) {
    const p = await lockPerson(tx, id, "update");
    // A disabled person's leases are withdrawn by the disable itself (lib/people/withdraw.ts).
    if (p?.status === "active") people.push(p);
  }
  if (people.length === 0) return { revokedLeases: [], unfit: [] };
  const leases = await tx.lease.findMany({
    where: { delegatorId: { in: people.map((p) => p.id) }, status: { in: ["active", "pending_approval"] } },
    select: { id: true, delegatorId: true, grants: true, environment: true },
    orderBy: { id: "asc" },
  });
  if (leases.length === 0) return { revokedLeases: [], unfit: [] };
  const risks = new Map((await tx.tool.findMany({ select: { name: true, risk: true } })).map((t) => [t.name, t.risk]));
  const unfit: Recheck["unfit"] = [];
  for (const p of people) {
    const ents = await entitlementsOf(tx, p);
    for (const l of leases.filter((x) => x.delegatorId === p.id)) {
      const c = grantsCoverage(ents, l.grants as Grant[], l.environment, risks);
      if (!c.ok) unfit.push({ leaseId: l.id, violations: c.violations });
    }
  }
  if (unfit.length === 0) return { revokedLeases: [], unfit };
  const detail = Object.fromEntries(unfit.map((u) => [u.leaseId, { because: args.reason, grants: u.violations }]));
  const ended = await endLeaseTrees(tx, unfit.map((u) => u.leaseId), { status: "revoked", reason: DELEGATOR_UNENTITLED, actor: args.actor, action: "lease.revoked", detail });
  return { revokedLeases: ended.map((l) => l.id), unfit };
}
