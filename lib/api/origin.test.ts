import { describe, expect, it } from "vitest";
import { checkOrigin } from "@/lib/api/origin";

const req = (headers: Record<string, string>) => ({ headers: new Headers({ host: "console.example:3000", ...headers }), url: "http://console.example:3000/api/v1/agents" });

describe("CSRF origin check for console writes", () => {
  it("accepts the console's own origin", () => {
    expect(() => checkOrigin(req({ origin: "http://console.example:3000" }), false)).not.toThrow();
  });
  it.each([
    ["a missing Origin", {}],
    ["Origin: null", { origin: "null" }],
    ["a foreign origin", { origin: "https://evil.example" }],
    ["another port", { origin: "http://console.example:4000" }],
    ["another scheme", { origin: "https://console.example:3000" }],
  ])("refuses %s with csrf_rejected", (_name, headers) => {
    expect(() => checkOrigin(req(headers), false)).toThrow(expect.objectContaining({ code: "csrf_rejected", status: 403 }));
  });

  it("ignores X-Forwarded-Host/-Proto unless a proxy is trusted: a client cannot name its own site as allowed", () => {
    const forged = req({ origin: "https://evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" });
    expect(() => checkOrigin(forged, false)).toThrow(expect.objectContaining({ code: "csrf_rejected" }));
    // Without a trusted proxy the Host header alone decides, forwarded headers or not.
    expect(() => checkOrigin(req({ origin: "http://console.example:3000", "x-forwarded-host": "evil.example" }), false)).not.toThrow();
  });

  it("uses X-Forwarded-Host/-Proto behind a trusted proxy (LANYARD_TRUST_PROXY=1)", () => {
    const proxied = req({ origin: "https://lanyard.example", "x-forwarded-host": "lanyard.example", "x-forwarded-proto": "https" });
    expect(() => checkOrigin(proxied, true)).not.toThrow();
    expect(() => checkOrigin(req({ origin: "http://console.example:3000", "x-forwarded-host": "lanyard.example", "x-forwarded-proto": "https" }), true)).toThrow(
      expect.objectContaining({ code: "csrf_rejected" }),
    );
  });
});
