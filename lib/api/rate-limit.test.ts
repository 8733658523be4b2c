import { describe, expect, it } from "vitest";
import { TokenBuckets } from "@/lib/api/rate-limit";

describe("TokenBuckets", () => {
  it("allows a burst, then refuses with a Retry-After until tokens refill at the rate", () => {
    let now = 0;
    const b = new TokenBuckets(2, 4, () => now);
    for (let i = 0; i < 4; i++) expect(b.take("ep_a")).toEqual({ ok: true });
    expect(b.take("ep_a")).toEqual({ ok: false, retryAfterSeconds: 1 });
    now += 499; // 0.998 of a token
    expect(b.take("ep_a").ok).toBe(false);
    now += 2; // one whole token
    expect(b.take("ep_a")).toEqual({ ok: true });
    expect(b.take("ep_a").ok).toBe(false);
    now += 60_000; // refills to the burst, not beyond
    for (let i = 0; i < 4; i++) expect(b.take("ep_a").ok).toBe(true);
    expect(b.take("ep_a").ok).toBe(false);
  });

  it("keeps keys apart", () => {
    const b = new TokenBuckets(1, 1, () => 0);
    expect(b.take("ep_a").ok).toBe(true);
    expect(b.take("ep_a").ok).toBe(false);
    expect(b.take("ep_b").ok).toBe(true);
  });

  it("a clock that steps back mints no tokens", () => {
    let now = 10_000;
    const b = new TokenBuckets(1, 1, () => now);
    expect(b.take("ep_a").ok).toBe(true);
    now -= 5_000;
    expect(b.take("ep_a").ok).toBe(false);
    now += 999; // still short of one second after the step back
    expect(b.take("ep_a").ok).toBe(false);
  });

  it("names a longer wait when the rate is slow", () => {
    const b = new TokenBuckets(0.25, 1, () => 0);
    expect(b.take("ep_a").ok).toBe(true);
    expect(b.take("ep_a")).toEqual({ ok: false, retryAfterSeconds: 4 });
  });
});
