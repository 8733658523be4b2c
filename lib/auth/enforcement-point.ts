import { createHash, randomBytes } from "node:crypto";
import { db } from "@/lib/db";
import { now } from "@/lib/clock";


export type EnforcementPointActor = {
  kind: "enforcement_point";
  id: string;
  name: string;
  scopes: string[];
  /** this key's own requests per second (bursts of twice that); null or absent: LANYARD_EP_RATE_LIMIT */
  rateLimitPerSecond?: number | null;
};

const KEY_PREFIX = "lyd_ep_";
const KEY_PATTERN = /^lyd_ep_[A-Za-z0-9_-]{43}$/;

export function generateKey(): { key: string; hash: string; display: string } {
  const key = KEY_PREFIX + randomBytes(32).toString("base64url");
  return { key, hash: hashKey(key), display: `${KEY_PREFIX}…${key.slice(-4)}` };
}

export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

// Keys are looked up by hash and cached briefly; a revocation clears this instance's cache at once
// and reaches other instances within CACHE_MS.
const CACHE_MS = 5_000;
const MAX_CACHED = 1_000;
const cache = new Map<string, { actor: EnforcementPointActor | null; at: number }>();
const lastTouched = new Map<string, number>();

export function forgetCachedKeys(): void {
  cache.clear();
}

/** Hooks around the database lookup of a key this instance has not seen recently. */
export type KeyLookupHooks = {
  /** Runs before the lookup; may throw to refuse it (a rate limit). */
  beforeLookup?: () => void;
  /** Runs when the lookup found no live key. */
  onUnknown?: () => void;
};

/** The enforcement point holding this bearer key, or null (unknown, malformed or revoked). */
export async function authenticateKey(key: string, hooks: KeyLookupHooks = {}): Promise<EnforcementPointActor | null> {
  if (!KEY_PATTERN.test(key)) return null;
  const hash = hashKey(key);
  const hit = cache.get(hash);
  const t = Date.now();
  if (hit && t - hit.at < CACHE_MS) return hit.actor;
  hooks.beforeLookup?.();
  const ep = await db().enforcementPoint.findUnique({ where: { keyHash: hash } });
  const actor: EnforcementPointActor | null =
    ep && !ep.revokedAt ? { kind: "enforcement_point", id: ep.id, name: ep.name, scopes: ep.scopes, rateLimitPerSecond: ep.rateLimitPerSecond } : null;
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(hash, { actor, at: t });
  if (!actor) hooks.onUnknown?.();
  if (actor && t - (lastTouched.get(actor.id) ?? 0) > 60_000) {
    lastTouched.set(actor.id, t);
    // Bookkeeping only (not an authorization input): it may lag and it may fail without harm.
    db().enforcementPoint.update({ where: { id: actor.id }, data: { lastUsedAt: now() } }).catch(() => {});
  }
  return actor;
}
