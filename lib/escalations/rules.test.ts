import { describe, expect, it } from "vitest";
import { voteNeedsReason } from "@/lib/escalations/rules";

describe("voteNeedsReason", () => {
  it.each([
    ["deny", "low", true],
    ["deny", "critical", true],
    ["approve", "low", false],
    ["approve", "medium", false],
    ["approve", "high", false],
    ["approve", "critical", true],
    ["approve", "unheard-of", true],
    ["approve", null, true],
  ] as const)("%s a %s request: %s", (verdict, risk, expected) => {
    expect(voteNeedsReason(verdict, risk)).toBe(expected);
  });
});
