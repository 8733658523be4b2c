import { Prisma } from "@/lib/generated/prisma/client";
import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";
import { settle } from "@/lib/escalations/vote";

/** Settles pending escalations whose approval window has passed as `expired` (the call stays denied). Safe on many instances. */
export async function expireEscalations(db: Db): Promise<number> {
  const at = now();
  const due = await db.escalation.findMany({ where: { status: "pending", expiresAt: { lte: at } }, select: { id: true }, take: 200 });
  let n = 0;
  for (const { id } of due) if (await expireEscalation(db, id, at)) n++;
  return n;
}

/** Settles one escalation as expired if it is still pending and its window has passed at `at`; false when there was nothing to do. */
export async function expireEscalation(db: Db, id: string, at: Date = now()): Promise<boolean> {
  return db.$transaction(async (tx) => {
    // Expiring a lease request also ends its lease, so the lease row is locked before the escalation's:
    // the order revocation, suspension and disabling take (leases, then escalations) and castVote too.
    // Escalation first, as before, deadlocked with a revocation holding the lease and waiting for it.
    const target = await tx.escalation.findUnique({ where: { id }, select: { kind: true, leaseId: true } });
    if (!target) return false;
    if (target.kind !== "step_up") await tx.$queryRaw(Prisma.sql`SELECT "id" FROM "leases" WHERE "id" = ${target.leaseId} FOR NO KEY UPDATE`);
    // SKIP LOCKED: a vote or another instance holding it settles it instead.
    const [row] = await tx.$queryRaw<{ id: string }[]>(Prisma.sql`
      SELECT "id" FROM "escalations" WHERE "id" = ${id} AND "status" = 'pending' AND "expiresAt" <= ${at} FOR UPDATE SKIP LOCKED`);
    if (!row) return false;
    const e = await tx.escalation.findUniqueOrThrow({ where: { id }, include: { lease: true } });
    await settle(tx, e, "expired", at, { type: "system", label: "approval window" });
    return true;
  });
}
