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
