import type { Db } from "@/lib/db";
import type { Grant, GrantConstraints } from "@/lib/leases/schemas";

/** A grant's constraints and how much of them the lease used: what receipts and approval prompts show (issue 15). */
export type ConstraintUse = GrantConstraints & {
  tool: string;
  resource: Grant["resource"] | null;
  production: boolean;
  /** distinct resources the lease touched under its record-limited grants (one count per lease); null: no maxRecords */
  recordsUsed: number | null;
};

/** The grants of `grants` that carry constraints or are production grants, with the records the lease has used. */
export async function constraintUse(db: Db, leaseId: string, grants: Grant[]): Promise<ConstraintUse[]> {
  const limited = grants.filter((g) => g.constraints || g.production);
  if (!limited.length) return [];
  const used = limited.some((g) => g.constraints?.maxRecords !== undefined) ? await db.leaseRecord.count({ where: { leaseId } }) : null;
  return limited.map((g) => ({
    tool: g.tool,
    resource: g.resource ?? null,
    production: g.production === true,
    ...g.constraints,
    recordsUsed: g.constraints?.maxRecords !== undefined ? used : null,
  }));
}

/** One line a person reads: "contracts.read: at most 50 records (12 used), data classes public, internal, tenant acme". */
export const describeConstraintUse = (c: ConstraintUse): string => `${c.tool}: ${constraintText(c)}`;

/** The limits alone: "at most 50 records (12 used), data classes public, internal, tenant acme". */
export function constraintText(c: Omit<ConstraintUse, "tool" | "resource">): string {
  const parts: string[] = [];
  if (c.maxRecords !== undefined) parts.push(`at most ${c.maxRecords} records${c.recordsUsed === null ? "" : ` (${c.recordsUsed} used)`}`);
  if (c.dataClasses) parts.push(`data classes ${c.dataClasses.join(", ")}`);
  if (c.tenant !== undefined) parts.push(`tenant ${c.tenant}`);
  if (c.production) parts.push("production writes");
  return parts.join(", ");
}
