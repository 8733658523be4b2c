import { Prisma } from "@/lib/generated/prisma/client";
import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";
import { newId } from "@/lib/ids";
import { assignedApprovers } from "@/lib/notifications/outbox";

/** A request is "about to expire" once less than this share of its approval window is left. */
export const DIGEST_WINDOW_SHARE = 0.25;

/**
 * Queues one digest mail per approver listing the requests assigned to them that are about to expire
 * unanswered (and that they have not voted on). Each request is listed in at most one digest: the ones
 * taken are marked in the same transaction, locked SKIP LOCKED so instances never take the same one.
 * Returns how many digests were queued.
 */
export async function queueExpiryDigests(db: Db, limit = 200): Promise<number> {
  return db.$transaction(async (tx) => {
    const at = now();
    const due = await tx.$queryRaw<{ id: string }[]>(Prisma.sql`
      SELECT "id" FROM "escalations"
      WHERE "status" = 'pending' AND "digestedAt" IS NULL AND "expiresAt" > ${at}
        AND "expiresAt" - ${at}::timestamp < ("expiresAt" - "createdAt") * ${DIGEST_WINDOW_SHARE}::float8
      ORDER BY "expiresAt" LIMIT ${limit} FOR UPDATE SKIP LOCKED`);
    if (!due.length) return 0;
    const ids = due.map((d) => d.id);
    await tx.escalation.updateMany({ where: { id: { in: ids } }, data: { digestedAt: at } });
    const rows = await tx.escalation.findMany({
      where: { id: { in: ids } },
      select: { id: true, assignedGroupIds: true, lease: { select: { delegatorId: true, requestedBy: true } }, votes: { select: { voterId: true } } },
      orderBy: { expiresAt: "asc" },
    });
    const byPerson = new Map<string, { email: string; ids: string[] }>();
    for (const r of rows) {
      const voted = new Set(r.votes.map((v) => v.voterId));
      for (const p of await assignedApprovers(tx, r.assignedGroupIds, r.lease)) {
        if (voted.has(p.id)) continue;
        const entry = byPerson.get(p.id) ?? { email: p.email, ids: [] };
        entry.ids.push(r.id);
        byPerson.set(p.id, entry);
      }
    }
    if (!byPerson.size) return 0;
    await tx.notification.createMany({ data: [...byPerson].map(([userId, p]) => ({ id: newId("ntf"), kind: "expiry_digest", userId, email: p.email, escalationIds: p.ids })) });
    return byPerson.size;
  });
}
