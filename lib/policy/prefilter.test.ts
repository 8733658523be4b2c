// What evaluatePolicy leaves out of a Cedar call (policies whose action scope or leading context guards
// cannot match, entities and context attributes no policy reads, the schema) must never change an answer:
// every case here is checked against one plain Cedar call with all policies, all entities, the whole
// context, the schema and request validation.
import { describe, expect, it } from "vitest";
import { cedar } from "@/lib/policy/cedar";
import { cedarRequest, comparedOnly, compilePolicySet, evaluatePolicy, guardsOf, type CompiledPolicySet, type PolicyCall, type PolicyResult } from "@/lib/policy/evaluate";
import type { SchemaData } from "@/lib/policy/schema";
import { BASELINE_ID, BASELINE_TEXT } from "@/lib/policy/text";

const DATA: SchemaData = {
  tools: [
    { name: "repo.read", risk: "low", readOnly: true },
    { name: "repo.commit", risk: "medium", readOnly: false },
    { name: "production.deploy", risk: "critical", readOnly: false },
  ],
  resourceTypes: ["service"],
};

const call = (over: Partial<PolicyCall> = {}): PolicyCall => ({
  tool: "production.deploy",
  runId: "run_1",
  agent: { id: "agt_1", name: "deployer", status: "active", environments: ["staging", "production"] },
  delegator: { id: "usr_1", email: "maya@example.com", role: "requester", status: "active", groups: ["release-managers"] },
  lease: { id: "lse_1", purpose: "ship the fix", taskRef: "JIRA-1", environment: "production", depth: 0 },
  resource: { type: "service", id: "api", attributes: { tier: "gold" } },
  environment: "production",
  at: new Date("2026-12-04T15:00:00Z"),
  remainingToolCalls: 5,
  approved: false,
  argumentsDigest: null,
  ...over,
});

function compile(text: string): CompiledPolicySet {
  const c = compilePolicySet(text, DATA, 1);
  if (!c.ok) throw new Error(JSON.stringify(c.errors));
  return c.set;
}

const referenceSets = new Set<string>();

/** The answer without any pre-filter: every policy, every entity (and the action's groups from the schema), validated. */
function reference(set: CompiledPolicySet, c: PolicyCall): { outcome: "allow" | "deny"; reasons: string[]; errors: string[] } {
  const req = cedarRequest(set, c);
  const id = `reference:${set.policies.map((p) => p.id).join(",")}`;
  if (!referenceSets.has(id)) {
    cedar.preparsePolicySet(id, { staticPolicies: Object.fromEntries([...set.policies.map((p) => [p.id, p.text]), [BASELINE_ID, BASELINE_TEXT]]) });
    referenceSets.add(id);
  }
  const r = cedar.statefulIsAuthorized({ ...req, preparsedSchemaName: `schema:${set.schema.hash}`, validateRequest: true, preparsedPolicySetId: id });
  if (r.type === "failure") throw new Error(r.errors.map((e) => e.message).join("; "));
  const { decision, diagnostics } = r.response;
  return { outcome: decision, reasons: [...diagnostics.reason].sort(), errors: [...new Set(diagnostics.errors.map((e) => e.policyId))].sort() };
}

function agrees(set: CompiledPolicySet, c: PolicyCall): PolicyResult {
  const ours = evaluatePolicy(set, c, new Map());
  const ref = reference(set, c);
  if (ref.errors.length) expect(ours).toMatchObject({ outcome: "deny", error: true, determinedBy: ref.errors });
  else if (ref.outcome === "allow") expect(ours).toMatchObject({ outcome: "allow", determinedBy: [] });
  else expect([...ours.determinedBy].sort()).toEqual(ref.reasons);
  return ours;
}

const POLICIES = `
@id("guarded") forbid(principal, action == Action::"production.deploy", resource) when { context.environment == "production" && context.remainingToolCalls < 3 };
@id("reversed") forbid(principal, action == Action::"production.deploy", resource) when { "staging" == context.environment };
@id("nested") forbid(principal, action, resource) when { context.lease.purpose == "incident" && context.approved == false };
@id("unscoped") forbid(principal, action, resource) when { context.environment == "qa" };
@id("group-of-actions") forbid(principal, action in Action::"write", resource) when { context.environment == "dev" };
@id("not-first") forbid(principal, action == Action::"repo.read", resource) when { context.remainingToolCalls < 2 && context.environment == "production" };
@id("unless-first") forbid(principal, action == Action::"repo.commit", resource) unless { context.environment == "production" };
@id("errors-before-guard") forbid(principal, action == Action::"repo.read", resource) when { context.remainingToolCalls * 9223372036854775807 > 0 && context.environment == "nowhere" };
@id("errors-after-guard") forbid(principal, action == Action::"repo.commit", resource) when { context.environment == "overflow" && context.remainingToolCalls * 9223372036854775807 > 0 };
@id("group") forbid(principal, action == Action::"production.deploy", resource) when { context.environment == "production" } unless { context.delegator in Group::"release-managers" };
@id("tag") forbid(principal, action, resource) when { context.environment == "production" && resource.hasTag("tier") && resource.getTag("tier") == "bronze" };
@id("principal") forbid(principal in Agent::"agt_9", action, resource);
`;

describe("pre-filtered evaluation", () => {
  it("takes guards only from the leading context equalities of a first when", () => {
    const set = compile(POLICIES);
    const g = (id: string) => guardsOf(set.byId.get(id)!.json);
    expect(g("guarded")).toEqual([{ path: ["environment"], value: "production" }]);
    expect(g("reversed")).toEqual([{ path: ["environment"], value: "staging" }]);
    expect(g("nested")).toEqual([{ path: ["lease", "purpose"], value: "incident" }, { path: ["approved"], value: false }]);
    expect(g("not-first")).toEqual([]);
    expect(g("unless-first")).toEqual([]);
    expect(g("errors-before-guard")).toEqual([]);
    expect(g("principal")).toEqual([]);
  });

  it("answers as one unfiltered, validated Cedar call does, over calls that match and miss every guard", () => {
    const set = compile(POLICIES);
    const seen = new Set<string>();
    for (const tool of ["production.deploy", "repo.read", "repo.commit", "not.in.schema"])
      for (const environment of ["production", "staging", "qa", "dev", "overflow", "nowhere"])
        for (const remainingToolCalls of [0, 1, 2, 5])
          for (const purpose of ["incident", "ship"])
            for (const [agent, groups, tier] of [["agt_1", ["release-managers"], "gold"], ["agt_9", [], "bronze"]] as const) {
              const c = call({ tool, environment, remainingToolCalls, lease: { ...call().lease, purpose }, agent: { ...call().agent, id: agent }, delegator: { ...call().delegator!, groups: [...groups] }, resource: { type: "service", id: "api", attributes: { tier } } });
              if (tool === "not.in.schema") {
                expect(evaluatePolicy(set, c, new Map())).toMatchObject({ outcome: "deny", error: true });
                continue;
              }
              const r = agrees(set, c);
              seen.add(`${r.outcome}:${r.determinedBy.join(",")}`);
            }
    // The grid reaches every policy, erroring ones included.
    for (const id of ["guarded", "reversed", "nested", "unscoped", "group-of-actions", "not-first", "unless-first", "errors-before-guard", "errors-after-guard", "group", "tag", "principal"]) {
      expect([...seen].some((s) => s.split(":")[1]!.split(",").includes(id))).toBe(true);
    }
  }, 60_000);

  it("an erroring forbid still denies, before or after a guard that holds", () => {
    const set = compile(POLICIES);
    expect(evaluatePolicy(set, call({ tool: "repo.read", environment: "staging", remainingToolCalls: 5 }), new Map())).toMatchObject({ outcome: "deny", error: true, determinedBy: ["errors-before-guard"] });
    expect(evaluatePolicy(set, call({ tool: "repo.commit", environment: "overflow", remainingToolCalls: 5 }), new Map())).toMatchObject({ outcome: "deny", error: true, determinedBy: ["errors-after-guard"] });
    // The guard fails: Cedar never reaches the overflow, and neither do we.
    expect(evaluatePolicy(set, call({ tool: "repo.commit", environment: "production", remainingToolCalls: 5 }), new Map()).outcome).toBe("allow");
  });

  it("a guard reading through an entity (context.delegator.role) is never judged false: the forbid fires", () => {
    // "Contractors' agents never write to billing": the context holds only {__entity} for the delegator,
    // so reading the role there was undefined, the guard false and the forbid dropped: an allow.
    const set = compile(`@id("no-contractors") forbid(principal, action == Action::"repo.commit", resource) when { context.delegator.role == "contractor" && context.environment == "production" };
@id("by-email") forbid(principal, action == Action::"repo.commit", resource) when { "mallory@example.com" == context.delegator.email };`);
    const contractor = call({ tool: "repo.commit", delegator: { ...call().delegator!, role: "contractor" } });
    expect(agrees(set, contractor)).toMatchObject({ outcome: "deny", determinedBy: ["no-contractors"] });
    expect(agrees(set, call({ tool: "repo.commit", delegator: { ...call().delegator!, email: "mallory@example.com" } }))).toMatchObject({ outcome: "deny", determinedBy: ["by-email"] });
    expect(agrees(set, call({ tool: "repo.commit" })).outcome).toBe("allow");
    expect(agrees(set, { ...contractor, environment: "staging" }).outcome).toBe("allow");
  });

  it("keys the memo by where a number the policies only compare with literals falls, not by the number", () => {
    const set = compile(`@id("low") forbid(principal, action == Action::"production.deploy", resource) when { context.remainingToolCalls < 500 && context.remainingToolCalls != 7 };
@id("at-least") @escalate("many") forbid(principal, action == Action::"production.deploy", resource) when { 1000 <= context.remainingToolCalls };`);
    expect(comparedOnly(set.byId.get("low")!.json)).toEqual(new Map([["remainingToolCalls", [500, 7]]]));
    const memo = new Map<string, PolicyResult>();
    for (let n = 0; n < 1500; n += 1) {
      const c = call({ remainingToolCalls: n });
      expect(evaluatePolicy(set, c, memo)).toEqual(evaluatePolicy(set, c, new Map()));
      if (n % 50 === 7) agrees(set, c);
    }
    // below 7, 7, 8-499, 500, 501-999, 1000, above: 7 answers computed, not 1,500
    expect(memo.size).toBe(7);
    // Anything else done with the number (arithmetic here) keys by the number itself.
    const exact = compile(`@id("double") forbid(principal, action == Action::"production.deploy", resource) when { context.remainingToolCalls * 2 < 10 };`);
    expect(comparedOnly(exact.byId.get("double")!.json).get("remainingToolCalls")).toBe("exact");
    const m2 = new Map<string, PolicyResult>();
    for (let n = 0; n < 20; n++) expect(evaluatePolicy(exact, call({ remainingToolCalls: n }), m2).outcome).toBe(n < 5 ? "deny" : "allow");
    expect(m2.size).toBe(20);
  });
});
