import { describe, expect, it } from "vitest";
import { evaluate, type ChainLease } from "@/lib/decisions/evaluate";
import type { DecisionRequest } from "@/lib/decisions/schemas";
import { callLimit, intentFindings, intentWithin } from "@/lib/intent/check";
import { Intent } from "@/lib/intent/schemas";
import type { ToolInfo } from "@/lib/tools/catalog";

const NOW = new Date("2026-12-01T10:00:00Z");
const lease = (over: Partial<ChainLease> = {}): ChainLease => ({
  id: "lse_leaf",
  runId: "run_leaf",
  agentId: "agt_a",
  status: "active",
  expiresAt: new Date(NOW.getTime() + 3_600_000),
  toolCallsUsed: 0,
  maxToolCalls: 100,
  grants: [{ tool: "crm.read" }, { tool: "crm.update" }, { tool: "billing.refund" }],
  deny: [],
  requireApproval: [],
  environment: "staging",
  version: 1,
  ...over,
});
const TOOLS: Record<string, ToolInfo> = {
  "crm.read": { name: "crm.read", risk: "low", readOnly: true, alwaysStepUp: false, requiredApprovals: null },
  "crm.update": { name: "crm.update", risk: "low", readOnly: false, alwaysStepUp: false, requiredApprovals: null },
  "billing.refund": { name: "billing.refund", risk: "critical", readOnly: false, alwaysStepUp: false, requiredApprovals: null },
};
const acme = { resources: ["customers/acme/"], tools: ["crm.read", "billing.refund"], dataClasses: ["internal"], expectedCalls: 10 };
const read = (id: string, dataClass: string | null = "internal", tool = "crm.read"): DecisionRequest => ({
  leaseToken: "t",
  tool,
  resource: { type: "record", id, ...(dataClass ? { attributes: { dataClass } } : {}) },
});
const decide = (chain: ChainLease[], request: DecisionRequest, driftMode?: string) =>
  evaluate({ claims: { leaseId: "lse_leaf", runId: "run_leaf", agentId: "agt_a", parentLeaseId: null, iat: 0, exp: 0 }, chain, agentStatus: "active", delegatorStatus: "active", tool: TOOLS[request.tool], request, now: NOW, driftMode });

describe("intentFindings: each dimension, expected vs actual", () => {
  const chain = [lease({ intent: acme })];
  it("an on-intent call has no findings", () => {
    expect(intentFindings(chain, read("customers/acme/7"))).toEqual([]);
  });
  it.each([
    ["a tool outside intent.tools", read("customers/acme/7", "internal", "crm.update"), "tool", "crm.update"],
    ["a resource outside every prefix", read("customers/globex/42"), "resource", "record customers/globex/42"],
    ["a data class outside intent.dataClasses", read("customers/acme/7", "secret"), "dataClass", "secret"],
    ["a resource naming no data class", read("customers/acme/7", null), "dataClass", "none given"],
  ] as const)("%s", (_, call, dimension, actual) => {
    expect(intentFindings(chain, call)).toEqual([expect.objectContaining({ dimension, actual, leaseId: "lse_leaf" })]);
  });
  it("a call without a resource is not compared on resources or data classes", () => {
    expect(intentFindings(chain, { tool: "crm.read" })).toEqual([]);
  });
  it("calls: off-intent beyond 1.5× expectedCalls, counting this call", () => {
    expect(callLimit(10)).toBe(15);
    expect(intentFindings([lease({ intent: acme, toolCallsUsed: 14 })], read("customers/acme/7"))).toEqual([]);
    expect(intentFindings([lease({ intent: acme, toolCallsUsed: 15 })], read("customers/acme/7"))).toEqual([expect.objectContaining({ dimension: "calls", actual: "call 16", expected: "about 10 (at most 15)" })]);
  });
  it("an ancestor's intent is checked too (the leaf has none), and a miss both report is told once", () => {
    expect(intentFindings([lease(), lease({ id: "lse_parent", intent: acme })], read("customers/globex/1"))).toEqual([expect.objectContaining({ dimension: "resource", leaseId: "lse_parent" })]);
    expect(intentFindings([lease({ intent: acme }), lease({ id: "lse_parent", intent: acme })], read("customers/globex/1"))).toHaveLength(1);
  });
});

describe("evaluate() with an intent: after the grant checks, by drift mode", () => {
  const chain = [lease({ intent: acme })];
  it("enforce: an off-intent call the grants allow escalates with intent_drift, saying which dimension and why", () => {
    const v = decide(chain, read("customers/globex/42"), "enforce");
    expect(v.outcome).toBe("escalate");
    expect(v.reasons.map((r) => r.code)).toEqual(["intent_drift"]);
    expect(v.reasons[0]!.message).toMatch(/resource off-intent: expected customers\/acme\/…, got record customers\/globex\/42/);
    expect(v.drift).toEqual({ mode: "enforce", findings: [expect.objectContaining({ dimension: "resource" })] });
  });
  it("enforce: an approval for the off-intent call allows it, still flagged", () => {
    const v = decide(chain, { ...read("customers/globex/42"), approvalId: "apr_x1" }, "enforce");
    expect(v).toMatchObject({ outcome: "allow", approvalId: "apr_x1", reasons: [{ code: "approval_granted" }], drift: { mode: "enforce" } });
  });
  it("enforce: a step-up tool off-intent names intent_drift first (the approver reads why), then the step-up", () => {
    const v = decide(chain, read("customers/globex/42", "internal", "billing.refund"), "enforce");
    expect(v.outcome).toBe("escalate");
    expect(v.reasons.map((r) => r.code)).toEqual(["intent_drift", "approval_required"]);
  });
  it("advisory (also the default): allowed, flagged with an intent_drift reason after granted", () => {
    for (const mode of ["advisory", undefined]) {
      const v = decide(chain, read("customers/globex/42"), mode);
      expect(v.outcome).toBe("allow");
      expect(v.reasons.map((r) => r.code)).toEqual(["granted", "intent_drift"]);
      expect(v.drift?.mode).toBe("advisory");
    }
  });
  it("a call the grants deny is a deny, never a drift", () => {
    const v = decide([lease({ intent: acme, grants: [{ tool: "crm.read" }] })], read("customers/globex/42", "internal", "crm.update"), "enforce");
    expect(v).toMatchObject({ outcome: "deny", reasons: [{ code: "tool_not_granted" }] });
    expect(v.drift).toBeUndefined();
  });
  it("an on-intent call is allowed without a flag in enforce mode", () => {
    const v = decide(chain, read("customers/acme/1"), "enforce");
    expect(v).toMatchObject({ outcome: "allow", reasons: [{ code: "granted" }] });
    expect(v.drift).toBeUndefined();
  });
});

describe("intentWithin: a delegated child's intent lies within its parent's", () => {
  it("accepts narrower dimensions and dimensions left out", () => {
    expect(intentWithin(acme, { resources: ["customers/acme/eu/"], tools: ["crm.read"], expectedCalls: 10 })).toEqual([]);
    expect(intentWithin(acme, { dataClasses: ["internal"] })).toEqual([]);
    expect(intentWithin({ tools: ["crm.read"] }, { resources: ["anything/"] })).toEqual([]);
  });
  it("refuses each widening, with its path", () => {
    const v = intentWithin(acme, { resources: ["customers/"], tools: ["crm.update"], dataClasses: ["secret"], expectedCalls: 11 });
    expect(v.map((x) => x.path.join("."))).toEqual(["intent.tools.0", "intent.resources.0", "intent.dataClasses.0", "intent.expectedCalls"]);
  });
});

describe("Intent schema", () => {
  it("needs at least one dimension and a whole positive count", () => {
    expect(Intent.safeParse({}).success).toBe(false);
    expect(Intent.safeParse({ expectedCalls: 0 }).success).toBe(false);
    expect(Intent.safeParse({ tools: ["crm.read"] }).success).toBe(true);
  });
});
