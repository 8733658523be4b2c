import { Prisma } from "@/lib/generated/prisma/client";
import type { Tx } from "@/lib/db";

/** The person as the database has them now: their session's copy may predate a role change or a disable. */
export type LockedPerson = { id: string; email: string; status: string; role: string };

/**
 * Locks a person's row and returns their status and role (null: no such person). Whoever acts on a person's
 * authority (issuing a lease they delegate, casting their vote) takes it FOR SHARE; disabling takes it
 * FOR UPDATE first (so does a role change). So one waits for the other: nothing granted concurrently
 * outlives the disable, and the caller re-checks the role it acts in against this row, not the session's.
 * Lock order everywhere: person, then agent, then leases, then escalations (a tool's row, where taken, before the
 * person: issuance holds its grants' tools FOR SHARE, a risk change updates one and then re-checks people).
 */
export async function lockPerson(tx: Tx, id: string, mode: "share" | "update"): Promise<LockedPerson | null> {
  const rows = await tx.$queryRaw<LockedPerson[]>(
    mode === "update"
      ? Prisma.sql`SELECT "id", "email", "status", "role" FROM "users" WHERE "id" = ${id} FOR UPDATE`
      : Prisma.sql`SELECT "id", "email", "status", "role" FROM "users" WHERE "id" = ${id} FOR SHARE`,
  );
  return rows[0] ?? null;
}
