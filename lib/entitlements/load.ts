import type { Db, Tx } from "@/lib/db";
import type { EntitlementTerms, ResourceScope } from "@/lib/entitlements/coverage";

type Row = { id: string; subjectType: string; subjectId: string; tools: string[]; maxRisk: string | null; environments: string[]; resources: unknown };
export const toTerms = (r: Row): EntitlementTerms => ({ ...r, resources: (r.resources as ResourceScope[] | null) ?? null });

/**
 * A person's delegable set: their role's, their groups' and their own entitlements (a union). Read in
 * the caller's transaction; callers that act on it hold the person's row lock (lib/people/lock.ts),
 * which every change to these entitlements also takes before it commits.
 */
export async function entitlementsOf(db: Db | Tx, person: { id: string; role: string }): Promise<EntitlementTerms[]> {
  const groups = await db.groupMember.findMany({ where: { userId: person.id }, select: { groupId: true } });
  const rows = await db.entitlement.findMany({
    where: {
      OR: [
        { subjectType: "role", subjectId: person.role },
        { subjectType: "person", subjectId: person.id },
        ...(groups.length ? [{ subjectType: "group", subjectId: { in: groups.map((g) => g.groupId) } }] : []),
      ],
    },
    orderBy: { id: "asc" },
  });
  return rows.map(toTerms);
}
