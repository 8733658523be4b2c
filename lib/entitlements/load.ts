import { Prisma } from "@/lib/generated/prisma/client";
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
  // One round trip: this runs inside every issuance's transaction.
  const rows = await db.$queryRaw<Row[]>(Prisma.sql`
    SELECT "id", "subjectType", "subjectId", "tools", "maxRisk", "environments", "resources" FROM "entitlements"
    WHERE ("subjectType" = 'role' AND "subjectId" = ${person.role}) OR ("subjectType" = 'person' AND "subjectId" = ${person.id})
       OR ("subjectType" = 'group' AND "subjectId" IN (SELECT "groupId" FROM "group_members" WHERE "userId" = ${person.id}))
    ORDER BY "id"`);
  return rows.map(toTerms);
}
