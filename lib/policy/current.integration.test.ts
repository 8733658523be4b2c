import { afterEach, describe, expect, it, vi } from "vitest";
import { db, type Db } from "@/lib/db";
import { forgetLivePolicy, livePolicy } from "@/lib/policy/current";

afterEach(() => {
  vi.useRealTimers();
});

describe("the live policy copy", () => {
  it("survives being dropped while its version is re-read past the TTL (a publish or catalog change racing a decision)", async () => {
    forgetLivePolicy();
    const first = await livePolicy(db());
    // Past the TTL (this worker's Date only): the next call re-reads the latest version number.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 60_000 });
    // The same PostgreSQL, with the drop forced into the middle of that read: what the event bus does when
    // a publish or a catalog change lands while a decision is asking.
    const real = db();
    const racing = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop !== "policyVersion") return Reflect.get(target, prop, receiver);
        const model = real.policyVersion;
        return new Proxy(model, {
          get(m, p, r) {
            if (p !== "aggregate") return Reflect.get(m, p, r);
            return async (...args: Parameters<typeof model.aggregate>) => {
              const out = await model.aggregate(...args);
              forgetLivePolicy();
              return out;
            };
          },
        });
      },
    }) as Db;
    // Before: TypeError (reading 'policy' of undefined), a 500 on the decision path.
    const again = await livePolicy(racing);
    expect(again.version).toBe(first.version);
  });
});
