import { Prisma } from "@/lib/generated/prisma/client";
import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";
import { settle } from "@/lib/escalations/vote";

/** Settles pending escalations whose approval window has passed as `expired` (the call stays denied). Safe on many instances. */
export async function expireEscalations(db: Db): Promise<number> {
  const at = now();
  const due = await db.escalation.findMany({ where: { status: "pending", expiresAt: { lte: at } }, select: { id: true }, take: 200 });
  let n = 0;
  for (const { id } of due) {
    await db.$transaction(async (tx) => {
      // SKIP LOCKED: a vote or another instance holding it settles it instead.
      const [row] = await tx.$queryRaw<{ id: string }[]>(Prisma.sql`SELECT "id" FROM "escalations" WHERE "id" = ${id} AND "status" = 'pending' FOR UPDATE SKIP LOCKED`);
      if (!row) return;
      const e = await tx.escalation.findUniqueOrThrow({ where: { id }, include: { lease: true } });
      await settle(tx, e, "expired", at, { type: "system", label: "approval window" });
      n++;
    });
  }
  return n;
}
