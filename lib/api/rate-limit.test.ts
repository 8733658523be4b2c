import { describe, expect, it } from "vitest";
import { clientAddress } from "@/lib/api/client-address";
import { TokenBuckets } from "@/lib/token-buckets";

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

  it("peek says whether a take would succeed without taking", () => {
    const b = new TokenBuckets(1, 2, () => 0);
    for (let i = 0; i < 5; i++) expect(b.peek("10.0.0.1").ok).toBe(true);
    b.take("10.0.0.1");
    b.take("10.0.0.1");
    expect(b.peek("10.0.0.1")).toEqual({ ok: false, retryAfterSeconds: 1 });
  });

  it("holds a bounded number of keys, dropping the oldest", () => {
    const b = new TokenBuckets(1, 1, () => 0, 3);
    for (const k of ["a", "b", "c"]) expect(b.take(k).ok).toBe(true);
    expect(b.take("d").ok).toBe(true); // "a" is dropped to make room
    expect(b.take("c").ok).toBe(false);
    expect(b.take("a").ok).toBe(true);
  });
});

describe("clientAddress", () => {
  const h = (headers: Record<string, string>) => new Headers(headers);
  it("takes the address our server set from the socket", () => {
    expect(clientAddress(h({ "x-lanyard-client-address": "203.0.113.7" }), false)).toBe("203.0.113.7");
  });
  it("ignores X-Forwarded-For unless a proxy is trusted", () => {
    expect(clientAddress(h({ "x-forwarded-for": "198.51.100.1", "x-lanyard-client-address": "203.0.113.7" }), false)).toBe("203.0.113.7");
    expect(clientAddress(h({ "x-forwarded-for": "198.51.100.1" }), false)).toBe("unknown");
  });
  it("takes X-Forwarded-For's last hop (the one the trusted proxy appended) behind a trusted proxy", () => {
    expect(clientAddress(h({ "x-forwarded-for": "198.51.100.1", "x-lanyard-client-address": "10.0.0.2" }), true)).toBe("198.51.100.1");
    // The client sent X-Forwarded-For itself; the proxy appended the address it really came from.
    // Believing the client's hop would give it a fresh rate-limit bucket per request.
    for (const forged of ["1.1.1.1", "2.2.2.2, 3.3.3.3", "unknown"]) {
      expect(clientAddress(h({ "x-forwarded-for": `${forged}, 198.51.100.1`, "x-lanyard-client-address": "10.0.0.2" }), true)).toBe("198.51.100.1");
    }
    expect(clientAddress(h({ "x-lanyard-client-address": "10.0.0.2" }), true)).toBe("10.0.0.2");
  });
  it("puts requests with no address in one shared bucket", () => {
    expect(clientAddress(h({}), true)).toBe("unknown");
  });
});
