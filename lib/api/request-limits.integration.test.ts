// Request time limits and the unknown-key limit, through the real route handlers.
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as decisionsPost } from "@/app/api/v1/decisions/route";
import { setUnknownKeyLimit } from "@/lib/api/rate-limit";
import { generateKey } from "@/lib/auth/enforcement-point";
import { db } from "@/lib/db";
import { seedEnforcementPoint, seedLease } from "@/test/factories";

// Read once, at the first request of this file (each test file has its own process and env cache).
process.env.LANYARD_BODY_TIMEOUT_MS = "500";

const ctx = { params: Promise.resolve({}) };
let token: string;
const BURST = 5;
beforeAll(async () => {
  token = (await seedLease(db())).leaseToken;
  // A token back only after 100 s: however slow the machine, the flood below outruns the refill.
  setUnknownKeyLimit({ rate: 0.01, burst: BURST });
});
afterAll(() => setUnknownKeyLimit());

const ask = (key: string, address: string, body = JSON.stringify({ leaseToken: token, tool: "repo.read" })) =>
  decisionsPost(new NextRequest("http://localhost/api/v1/decisions", { method: "POST", body, headers: { "content-type": "application/json", authorization: `Bearer ${key}`, "x-lanyard-client-address": address } }), ctx);

describe("body deadline", () => {
  it("cuts off a body trickled a byte at a time with 408 request_timeout", async () => {
    const { key } = await seedEnforcementPoint(db());
    let timer: ReturnType<typeof setInterval> | undefined;
    const trickle = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode("{"));
        timer = setInterval(() => c.enqueue(new TextEncoder().encode(" ")), 50); // never ends on its own
      },
      cancel() {
        clearInterval(timer);
      },
    });
    const started = performance.now();
    const res = await decisionsPost(
      new NextRequest(new Request("http://localhost/api/v1/decisions", { method: "POST", body: trickle, duplex: "half", headers: { "content-type": "application/json", authorization: `Bearer ${key}` } } as RequestInit)),
      ctx,
    );
    clearInterval(timer);
    const elapsed = performance.now() - started;
    expect(res.status).toBe(408);
    expect((await res.json()).error.code).toBe("request_timeout");
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(5_000);
  });

  it("a body that arrives in time is read as before", async () => {
    const { key } = await seedEnforcementPoint(db());
    expect((await ask(key, "192.0.2.10")).status).toBe(200);
  });
});

describe("unknown enforcement-point keys, per client address", () => {
  it(`answers 429 with Retry-After after ${BURST} unknown keys from one address, before any lookup; other addresses and recently seen keys are unaffected`, async () => {
    const flooder = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const good = await seedEnforcementPoint(db());
    expect((await ask(good.key, flooder)).status).toBe(200); // seen (cached) before the flood
    for (let i = 0; i < BURST; i++) expect((await ask(generateKey().key, flooder)).status).toBe(401);
    const refused = await ask(generateKey().key, flooder);
    expect(refused.status).toBe(429);
    expect((await refused.json()).error.code).toBe("rate_limited");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);

    // A key not yet seen would need a lookup: refused from this address too (and so is not a way to probe).
    const fresh = await seedEnforcementPoint(db());
    expect((await ask(fresh.key, flooder)).status).toBe(429);
    // The key seen before the flood is answered from the cache, without a lookup.
    expect((await ask(good.key, flooder)).status).toBe(200);
    // Another address is untouched, for new and unknown keys alike.
    expect((await ask(fresh.key, "203.0.113.99")).status).toBe(200);
    expect((await ask(generateKey().key, "203.0.113.99")).status).toBe(401);
  });

  it("malformed keys never reach the database and count for nothing", async () => {
    const address = "192.0.2.77";
    for (let i = 0; i < BURST * 2; i++) expect((await ask("lyd_ep_short", address)).status).toBe(401);
    const { key } = await seedEnforcementPoint(db());
    expect((await ask(key, address)).status).toBe(200);
  });
});
