import { env } from "@/lib/env";

export type Take = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * Token buckets, one per key, in this process: each holds up to `burst` tokens and refills at `rate`
 * per second; a request takes one. The clock is monotonic (performance.now), so a wall-clock jump
 * neither mints tokens nor locks a key out.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly rate: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now(),
    private readonly maxKeys = 100_000,
  ) {}

  take(key: string): Take {
    return this.check(key, true);
  }

  /** Whether a take would succeed now, without taking. */
  peek(key: string): Take {
    return this.check(key, false);
  }

  private check(key: string, consume: boolean): Take {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + (Math.max(0, t - b.at) / 1000) * this.rate);
    b.at = t;
    if (!this.buckets.has(key)) {
      // Keyed by something callers choose (an address): bounded, oldest bucket out first.
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
      this.buckets.set(key, b);
    }
    if (b.tokens >= 1) {
      if (consume) b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / this.rate)) };
  }
}

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
