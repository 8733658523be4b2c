import { env } from "@/lib/env";
import { TokenBuckets } from "@/lib/token-buckets";

let limiter: TokenBuckets | undefined;

/**
 * The per-enforcement-point limit on the API (LANYARD_EP_RATE_LIMIT requests per second per key, bursts
 * of twice that), per instance. It bounds a runaway gateway or agent loop: denied calls cost no
 * budget, but each one is a decision and an audit event.
 */
export function enforcementPointLimiter(): TokenBuckets {
  limiter ??= new TokenBuckets(env().LANYARD_EP_RATE_LIMIT, env().LANYARD_EP_RATE_LIMIT * 2);
  return limiter;
}

/** For tests: another rate and burst for this process (undefined: back to the environment's). */
export function setEnforcementPointLimit(limit?: { rate: number; burst: number }): void {
  limiter = limit ? new TokenBuckets(limit.rate, limit.burst) : undefined;
}

/** Failed key lookups allowed per client address: bursts of 20, then 2 per second. */
export const UNKNOWN_KEY_LIMIT = { rate: 2, burst: 20 };
let unknownKeys: TokenBuckets | undefined;

/**
 * Unknown (or revoked) enforcement-point keys per client address, per instance. Each costs a database
 * lookup, so an address past its limit is refused before the lookup, with 429.
 */
export function unknownKeyLimiter(): TokenBuckets {
  unknownKeys ??= new TokenBuckets(UNKNOWN_KEY_LIMIT.rate, UNKNOWN_KEY_LIMIT.burst);
  return unknownKeys;
}

/** For tests: another rate and burst for unknown keys in this process (undefined: back to the default). */
export function setUnknownKeyLimit(limit?: { rate: number; burst: number }): void {
  unknownKeys = limit ? new TokenBuckets(limit.rate, limit.burst) : undefined;
}
