import { Prisma } from "@/lib/generated/prisma/client";
import type { Tx } from "@/lib/db";
import type { Grant } from "@/lib/leases/schemas";
import { grantCovers } from "@/lib/leases/scope";
import type { LeaseRow } from "@/lib/leases/view";

/**
 * A lease and its ancestors, row-locked until the transaction ends, leaf first then nearest ancestor
 * first. Rows are locked in id order, the order lanyard_take_budget locks in, so chains cannot deadlock.
 * `share` keeps revocation (and budget spending) waiting while we decide; `update` for a caller that
 * goes on to change the leaf. Null when the lease or one of its ancestors is missing.
 */
export async function lockChain(tx: Tx, leaseId: string, mode: "share" | "update"): Promise<LeaseRow[] | null> {
  const lock = mode === "update" ? Prisma.sql`FOR NO KEY UPDATE` : Prisma.sql`FOR SHARE`;
  const rows = await tx.$queryRaw<LeaseRow[]>(Prisma.sql`
    SELECT * FROM "leases" WHERE "id" = ANY(ARRAY[${leaseId}]::text[] || (SELECT "ancestorIds" FROM "leases" WHERE "id" = ${leaseId}))
    ORDER BY "id" ${lock}`);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const leaf = byId.get(leaseId);
  if (!leaf) return null;
  const ancestors = [...leaf.ancestorIds].reverse().map((id) => byId.get(id));
  if (ancestors.some((a) => !a)) return null;
  return [leaf, ...(ancestors as LeaseRow[])];
}

/**
 * Is the person a lease's authority flows from still active? Disabling them revokes their leases (under
 * those leases' locks, which the callers hold), so this only catches a lease left behind some other way;
 * no delegator on record fails closed, as decisions do.
 */
export async function delegatorActive(tx: Tx, delegatorId: string | null): Promise<boolean> {
  if (!delegatorId) return false;
  return (await tx.user.findUnique({ where: { id: delegatorId }, select: { status: true } }))?.status === "active";
}

/** The first lease of `chain` that is not live (ended, or past its expiry), or null. Pure. */
export function deadLink<L extends { status: string; expiresAt: Date }>(chain: L[], at: Date, live: readonly string[] = ["active"]): L | null {
  return chain.find((l) => !live.includes(l.status) || l.expiresAt.getTime() <= at.getTime()) ?? null;
}

/** The first of `ancestors` whose grants do not cover `grant` (a lease never holds more than any ancestor), or null. Pure. */
export function uncoveringAncestor<L extends { grants: unknown }>(ancestors: L[], grant: Grant): L | null {
  return ancestors.find((a) => !(a.grants as Grant[]).some((g) => grantCovers(g, grant))) ?? null;
}

/**
 * Would `id` be read as a pattern in a grant? Grant ids are exact or `prefix*` and have no escape, so an
 * id ending in `*` cannot name one resource: a more_permission on it would grant the whole prefix.
 */
export const isResourcePattern = (id: string) => id.endsWith("*");

/** The grant an approved more_permission request adds: the tool, on the one resource asked for if any. */
export function grantFor(tool: string, resource: { type: string; id: string } | null): Grant {
  return resource ? { tool, resource: { type: resource.type, ids: [resource.id] } } : { tool };
}
