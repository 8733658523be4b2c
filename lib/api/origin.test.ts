import { describe, expect, it } from "vitest";
import { checkOrigin } from "@/lib/api/origin";

const req = (headers: Record<string, string>) => ({ headers: new Headers({ host: "console.example:3000", ...headers }), url: "http://console.example:3000/api/v1/agents" });

describe("CSRF origin check for console writes", () => {
  it("accepts the console's own origin", () => {
    expect(() => checkOrigin(req({ origin: "http://console.example:3000" }))).not.toThrow();
  });
  it.each([
    ["a missing Origin", {}],
    ["Origin: null", { origin: "null" }],
    ["a foreign origin", { origin: "https://evil.example" }],
    ["another port", { origin: "http://console.example:4000" }],
    ["another scheme", { origin: "https://console.example:3000" }],
  ])("refuses %s with csrf_rejected", (_name, headers) => {
    expect(() => checkOrigin(req(headers))).toThrow(expect.objectContaining({ code: "csrf_rejected", status: 403 }));
  });
});
