import { Prisma } from "@/lib/generated/prisma/client";
import type { Tx } from "@/lib/db";

/**
 * Locks a person's row and returns their status (null: no such person). Whoever acts on a person's
 * authority (issuing a lease they delegate, casting their vote) takes it FOR SHARE; disabling takes it
 * FOR UPDATE first. So one waits for the other: nothing granted concurrently outlives the disable.
 * Lock order everywhere: person, then agent, then leases, then escalations.
 */
export async function lockPerson(tx: Tx, id: string, mode: "share" | "update"): Promise<{ id: string; email: string; status: string } | null> {
  const rows = await tx.$queryRaw<{ id: string; email: string; status: string }[]>(
    mode === "update"
      ? Prisma.sql`SELECT "id", "email", "status" FROM "users" WHERE "id" = ${id} FOR UPDATE`
      : Prisma.sql`SELECT "id", "email", "status" FROM "users" WHERE "id" = ${id} FOR SHARE`,
  );
  return rows[0] ?? null;
}
