import type { EnforcementPointCreate } from "@/lib/enforcement-points/schemas";
import { conflict, notFound } from "@/lib/errors";
import { appendAudit } from "@/lib/audit/append";
import { forgetCachedKeys, generateKey } from "@/lib/auth/enforcement-point";
import type { Actor } from "@/lib/auth/permissions";
import type { Db } from "@/lib/db";
import { now } from "@/lib/clock";
import { publish } from "@/lib/events/bus";
import { newId } from "@/lib/ids";

type EpRow = { id: string; name: string; keyPrefix: string; scopes: string[]; rateLimitPerSecond: number | null; createdAt: Date; revokedAt: Date | null; lastUsedAt: Date | null };
const view = (e: EpRow) => ({
  id: e.id,
  name: e.name,
  keyPrefix: e.keyPrefix,
  scopes: e.scopes,
  rateLimitPerSecond: e.rateLimitPerSecond,
  createdAt: e.createdAt.toISOString(),
  revokedAt: e.revokedAt?.toISOString() ?? null,
  lastUsedAt: e.lastUsedAt?.toISOString() ?? null,
});

export async function listEnforcementPoints(db: Db) {
  return (await db.enforcementPoint.findMany({ orderBy: { createdAt: "desc" } })).map(view);
}

/** Returns the plaintext key once; only its sha-256 is stored. */
export async function createEnforcementPoint(db: Db, actor: Actor, input: EnforcementPointCreate) {
  const { key, hash, display } = generateKey();
  return db.$transaction(async (tx) => {
    const ep = await tx.enforcementPoint.create({
      data: { id: newId("ep"), name: input.name, keyHash: hash, keyPrefix: display, scopes: [...new Set(input.scopes)], rateLimitPerSecond: input.rateLimitPerSecond ?? null, createdById: actor.id },
    });
    await appendAudit(tx, { action: "enforcement_point.created", actor: { type: "user", id: actor.id, label: actor.email }, subject: { type: "enforcement_point", id: ep.id }, payload: { name: ep.name, scopes: ep.scopes, keyPrefix: display, rateLimitPerSecond: ep.rateLimitPerSecond } });
    return { enforcementPoint: view(ep), key };
  });
}

export async function revokeEnforcementPoint(db: Db, actor: Actor, id: string) {
  const result = await db.$transaction(async (tx) => {
    const { count } = await tx.enforcementPoint.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: now() } });
    if (count === 0) {
      if (!(await tx.enforcementPoint.findUnique({ where: { id } }))) throw notFound(`enforcement point ${id}`);
      throw conflict(`enforcement point ${id} is already revoked`);
    }
    await appendAudit(tx, { action: "enforcement_point.revoked", actor: { type: "user", id: actor.id, label: actor.email }, subject: { type: "enforcement_point", id } });
    // Other instances drop their cached key at once (they would within 5 s anyway).
    await publish(tx, { type: "enforcement_points.changed" });
    return view(await tx.enforcementPoint.findUniqueOrThrow({ where: { id } }));
  });
  forgetCachedKeys();
  return { enforcementPoint: result };
}
