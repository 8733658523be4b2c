// demo:agent is an enforcement point that is not MCP: it must ask Lanyard through the typed SDK the
// gateway uses (issue 12, item 9), not with hand-made requests of its own. Checked on its source, since
// running it needs a signed-in console.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const source = readFileSync(path.resolve(import.meta.dirname, "demo-agent.ts"), "utf8");

describe("npm run demo:agent", () => {
  it("decides, guards and waits for approval through gateway/sdk.ts, and sends no decision or escalation request itself", () => {
    expect(source).toMatch(/from "\.\.\/gateway\/sdk"/);
    for (const use of ["createLanyardClient(", "lanyard.decide(", "lanyard.guard(", "lanyard.escalateAndWait(", "lanyard.flush("]) expect(source).toContain(use);
    // No raw calls to the enforcement-point API the SDK wraps.
    expect(source).not.toMatch(/["'`]\/api\/v1\/decisions/);
    expect(source).not.toMatch(/["'`]\/api\/v1\/escalations/);
  });
});
