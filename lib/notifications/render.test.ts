import { describe, expect, it } from "vitest";
import { argumentsSummary, assignedMail, timeLeft } from "@/lib/notifications/render";

describe("approver mail text", () => {
  it("masks credential-like keys and values in the arguments, keeps the rest", () => {
    const text = argumentsSummary({
      service: "billing",
      nested: { clientSecret: "s3cr3t-value", list: ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig", "plain"] },
      header: "Bearer abc.def",
      key: "AKIAABCDEFGHIJKLMNOP",
    })!;
    expect(text).toContain("billing");
    expect(text).toContain("plain");
    for (const secret of ["s3cr3t-value", "eyJhbGciOiJIUzI1NiJ9", "Bearer abc", "AKIAABCDEFGHIJKLMNOP"]) expect(text).not.toContain(secret);
  });

  it("says the call, why, time left and the link", () => {
    const at = new Date("2026-12-01T12:00:00Z");
    const m = assignedMail(
      { id: "esc_1", kind: "step_up", tool: "production.deploy", resource: { type: "service", id: "billing" }, arguments: null, justification: "ship v2", requiredApprovals: 2, expiresAt: new Date(at.getTime() + 14 * 60_000), risk: "critical", agentName: "deployer", purpose: "release", environment: "production", delegator: "a@example.test" },
      "https://l.example",
      at,
    );
    expect(m.subject).toBe("[Lanyard] CRITICAL: deployer asks for production.deploy");
    expect(m.text).toContain("service billing");
    expect(m.text).toContain("ship v2");
    expect(m.text).toContain("14 min");
    expect(m.text).toContain("https://l.example/approvals?escalation=esc_1");
    expect(timeLeft(at, at)).toBe("expired");
  });
});
