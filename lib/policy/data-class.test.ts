import { describe, expect, it } from "vitest";
import { constraintBroken } from "@/lib/decisions/evaluate";
import { compilePolicySet, evaluatePolicy, type PolicyCall, type PolicyResult } from "@/lib/policy/evaluate";
import { policyTag } from "@/lib/policy/data-class";

const set = (() => {
  const c = compilePolicySet(
    `@id("no-secrets") forbid(principal, action == Action::"contracts.read", resource) when { resource.hasTag("dataClass") && resource.getTag("dataClass") == "secret" };`,
    { tools: [{ name: "contracts.read", risk: "low", readOnly: true }], resourceTypes: ["contract"] },
    1,
  );
  if (!c.ok) throw new Error(JSON.stringify(c.errors));
  return c.set;
})();

const call = (attributes?: Record<string, string | number | boolean>): PolicyCall => ({
  tool: "contracts.read",
  runId: "run_1",
  agent: { id: "agt_1", name: "reader", status: "active", environments: ["staging"] },
  delegator: { id: "usr_1", email: "maya@example.com", role: "requester", status: "active" },
  lease: { id: "lse_1", purpose: "read", taskRef: null, environment: "staging", depth: 0 },
  resource: { type: "contract", id: "c-1", ...(attributes ? { attributes } : {}) },
  environment: "staging",
  at: new Date("2026-12-01T12:00:00Z"),
  remainingToolCalls: 5,
  approved: false,
  argumentsDigest: null,
});

describe("resource.attributes.dataClass as policies see it", () => {
  it("a known class in another case or padded is that class: a forbid on \"secret\" catches \"SECRET\", which a grant's dataClasses refuses as well", () => {
    for (const sent of ["secret", "SECRET", " Secret "]) {
      expect(evaluatePolicy(set, call({ dataClass: sent })), sent).toMatchObject({ outcome: "deny", determinedBy: ["no-secrets"] });
    }
    // The grant constraint is stricter still (only the exact names): neither side lets "SECRET" through.
    expect(constraintBroken({ tool: "contracts.read", constraints: { dataClasses: ["public"] } }, { leaseToken: "", tool: "contracts.read", resource: { type: "contract", id: "c-1", attributes: { dataClass: "SECRET" } } })).toMatch(/data class SECRET/);
  });

  it("an unknown class is judged the most sensitive; known lower classes, other attributes and no class pass as sent", () => {
    for (const sent of ["s3cret", "top-secret", "pii", 7, true]) expect(evaluatePolicy(set, call({ dataClass: sent })).outcome, String(sent)).toBe("deny");
    for (const sent of ["public", "INTERNAL", "confidential"]) expect(evaluatePolicy(set, call({ dataClass: sent })).outcome, sent).toBe("allow");
    expect(evaluatePolicy(set, call()).outcome).toBe("allow");
    expect(policyTag("tenant", "ACME")).toBe("ACME");
    expect(policyTag("records", 3)).toBe("3");
    expect(policyTag("dataClass", " Internal")).toBe("internal");
  });

  it("the memo keys on the class as judged: \"SECRET\" after \"public\" is not answered from the memo", () => {
    const memo = new Map<string, PolicyResult>();
    expect(evaluatePolicy(set, call({ dataClass: "public" }), memo).outcome).toBe("allow");
    expect(evaluatePolicy(set, call({ dataClass: "SECRET" }), memo).outcome).toBe("deny");
  });
});
