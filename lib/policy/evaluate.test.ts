import { describe, expect, it } from "vitest";
import type { Verdict } from "@/lib/decisions/evaluate";
import { applyPolicy } from "@/lib/policy/apply";
import { compilePolicySet, evaluatePolicy, type CompiledPolicySet, type PolicyCall, type PolicyResult } from "@/lib/policy/evaluate";
import { generateSchema, withTypesNamedIn, type SchemaData } from "@/lib/policy/schema";
import { STARTER_POLICY } from "@/lib/policy/starter";
import { parsePolicies, splitPolicies } from "@/lib/policy/text";
import { CATALOG } from "@/prisma/catalog";

const DATA: SchemaData = {
  tools: [
    { name: "repo.read", risk: "low", readOnly: true },
    { name: "repo.commit", risk: "medium", readOnly: false },
    { name: "production.deploy", risk: "critical", readOnly: false },
    { name: "billing.write", risk: "high", readOnly: false },
  ],
  resourceTypes: ["branch", "service", "not a type", "Person"],
};

const call = (over: Partial<PolicyCall> = {}): PolicyCall => ({
  tool: "production.deploy",
  runId: "run_1",
  agent: { id: "agt_1", name: "deployer", status: "active", environments: ["staging", "production"] },
  delegator: { id: "usr_1", email: "maya@example.com", role: "requester", status: "active" },
  lease: { id: "lse_1", purpose: "ship the fix", taskRef: "JIRA-1", environment: "production", depth: 0 },
  resource: { type: "service", id: "api", attributes: { tier: "gold", replicas: 3 } },
  environment: "production",
  at: new Date("2026-12-04T15:00:00Z"), // a Friday
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

describe("schema generated from Lanyard's data", () => {
  const s = generateSchema(DATA);
  const ns = s.json[""]!;

  it("has one action per catalog tool, in its risk and read-only/write groups", () => {
    expect(ns.actions["production.deploy"]!.memberOf).toEqual([{ id: "risk:critical" }, { id: "write" }]);
    expect(ns.actions["repo.read"]!.memberOf).toEqual([{ id: "risk:low" }, { id: "read-only" }]);
    for (const g of ["risk:low", "risk:medium", "risk:high", "risk:critical", "read-only", "write"]) expect(ns.actions[g]).toEqual({});
  });

  it("types resources by their type where it can name an entity type, and Resource otherwise", () => {
    expect(Object.keys(ns.entityTypes).sort()).toEqual(["Agent", "Group", "Person", "Resource", "Role", "Run", "branch", "service"]);
    expect(ns.actions["repo.read"]!.appliesTo!.resourceTypes).toEqual(["branch", "service", "Resource"]);
  });

  it("has principals Run (in Agent) and Person (in Role and Groups), and the call's context", () => {
    expect(ns.entityTypes.Run).toMatchObject({ memberOfTypes: ["Agent"] });
    expect(ns.entityTypes.Person).toMatchObject({ memberOfTypes: ["Role", "Group"] });
    const ctx = ns.commonTypes!.CallContext as { attributes: Record<string, unknown> };
    expect(Object.keys(ctx.attributes).sort()).toEqual(["approved", "argumentsDigest", "delegator", "environment", "lease", "remainingToolCalls", "time"]);
  });

  it("keeps the resource types a published text names, so a type gone from the data does not break it", () => {
    const text = `forbid(principal, action, resource is ticket) when { resource == ticket::"t1" && principal in Agent::"a" };`;
    expect(compilePolicySet(text, DATA).ok).toBe(false);
    expect(withTypesNamedIn(text, DATA).resourceTypes).toEqual([...DATA.resourceTypes, "ticket", "ticket"]);
    expect(compilePolicySet(text, withTypesNamedIn(text, DATA)).ok).toBe(true);
  });

  it("is the same schema (hash) for the same data", () => {
    expect(generateSchema({ ...DATA, tools: [...DATA.tools].reverse() }).hash).toBe(s.hash);
  });
});

describe("policy text", () => {
  it("splits at ; outside strings and comments, with @id or Cedar's policy<N> ids and lines", () => {
    const text = `// a comment; not a split\nforbid(principal, action, resource) when { context.environment == "a;b" };\n\n@id("second")\nforbid(principal, action, resource);\n`;
    expect(splitPolicies(text)).toHaveLength(2);
    const p = parsePolicies(text);
    expect(p.ok && p.policies.map((x) => [x.id, x.line])).toEqual([["policy0", 1], ["second", 4]]);
  });

  it("reports a syntax error with its line", () => {
    const p = parsePolicies(`forbid(principal, action, resource);\n\nforbid(principal, action resource);`);
    expect(p.ok).toBe(false);
    expect(!p.ok && p.errors[0]!.line).toBe(3);
  });

  it("refuses permit, duplicate ids, reserved ids, and @approvals without @escalate or out of range", () => {
    const bad = (text: string) => {
      const p = parsePolicies(text);
      return p.ok ? [] : p.errors.map((e) => e.message);
    };
    expect(bad(`permit(principal, action, resource);`)[0]).toMatch(/permit adds nothing/);
    expect(bad(`@id("x") forbid(principal, action, resource);\n@id("x") forbid(principal, action, resource);`)[0]).toMatch(/two policies have the id x/);
    expect(bad(`@id("lanyard.baseline") forbid(principal, action, resource);`)[0]).toMatch(/must be/);
    expect(bad(`@approvals("2") forbid(principal, action, resource);`)[0]).toMatch(/@approvals needs @escalate/);
    expect(bad(`@escalate("x") @approvals("9") forbid(principal, action, resource);`)[0]).toMatch(/from 1 to 5/);
    expect(bad(`@escalate("x") @approvals("2") @reason("r") forbid(principal, action, resource);`)).toEqual([]);
  });

  it("validates against the schema: an unknown action, attribute or entity type is an error with policy id and line", () => {
    const c = compilePolicySet(`forbid(principal, action, resource);\n@id("typo")\nforbid(principal, action == Action::"production.deploy", resource)\n  when { context.enviroment == "production" };`, DATA);
    expect(c.ok).toBe(false);
    expect(!c.ok && c.errors[0]).toMatchObject({ policyId: "typo", line: 4 });
    const u = compilePolicySet(`forbid(principal, action == Action::"nope.nope", resource);`, DATA);
    expect(!u.ok && u.errors[0]!.policyId).toBe("policy0");
  });
});

describe("evaluatePolicy", () => {
  it("allows when no forbid matches, and when no policy applies to the tool", () => {
    const set = compile(`forbid(principal, action == Action::"production.deploy", resource) when { context.environment == "staging" };`);
    expect(evaluatePolicy(set, call())).toEqual({ outcome: "allow", determinedBy: [] });
    expect(evaluatePolicy(set, call({ tool: "repo.read" }))).toEqual({ outcome: "allow", determinedBy: [] });
  });

  it("denies with the forbid's id and @reason", () => {
    const set = compile(`@id("no-friday-deploys") @reason("no deploys on Fridays")\nforbid(principal, action == Action::"production.deploy", resource) when { context.time.weekdayUtc == 5 };`);
    expect(evaluatePolicy(set, call())).toEqual({ outcome: "deny", determinedBy: ["no-friday-deploys"], message: "forbidden by policy no-friday-deploys: no deploys on Fridays" });
    expect(evaluatePolicy(set, call({ at: new Date("2026-12-03T15:00:00Z") })).outcome).toBe("allow");
  });

  it("escalates when every matching forbid says @escalate, with the most @approvals; a plain forbid beside it denies", () => {
    const set = compile(`@id("prod-writes") @escalate("production writes need a person")\nforbid(principal, action in Action::"write", resource) when { context.environment == "production" };\n` +
      `@id("critical") @escalate("two approvers") @approvals("2")\nforbid(principal, action in Action::"risk:critical", resource);\n` +
      `@id("billing") forbid(principal, action == Action::"billing.write", resource) unless { context.delegator in Role::"admin" };`);
    expect(evaluatePolicy(set, call())).toEqual({ outcome: "escalate", determinedBy: ["prod-writes", "critical"], message: "policy prod-writes: production writes need a person; critical: two approvers", requiredApprovals: 2 });
    expect(evaluatePolicy(set, call({ tool: "repo.commit", environment: "staging" })).outcome).toBe("allow");
    const billing = evaluatePolicy(set, call({ tool: "billing.write" }));
    expect(billing).toMatchObject({ outcome: "deny", determinedBy: ["prod-writes", "billing"] });
    expect(evaluatePolicy(set, call({ tool: "billing.write", environment: "staging", delegator: { id: "usr_2", email: "a@x", role: "admin", status: "active" } })).outcome).toBe("allow");
  });

  it("reads principal, resource type and tags, the lease and the agent", () => {
    const set = compile(
      `@id("gold") forbid(principal, action, resource is service) when { resource.hasTag("tier") && resource.getTag("tier") == "gold" && context.lease.taskRef == "" };\n` +
        `@id("agent") forbid(principal in Agent::"agt_bad", action, resource);`,
    );
    expect(evaluatePolicy(set, call()).outcome).toBe("allow");
    expect(evaluatePolicy(set, call({ lease: { ...call().lease, taskRef: null } })).determinedBy).toEqual(["gold"]);
    expect(evaluatePolicy(set, call({ agent: { ...call().agent, id: "agt_bad" } })).determinedBy).toEqual(["agent"]);
    // an unknown resource type is a Resource, not an error
    expect(evaluatePolicy(set, call({ resource: { type: "weird-type", id: "x" } })).outcome).toBe("allow");
    expect(evaluatePolicy(set, call({ resource: null })).outcome).toBe("allow");
  });

  it("an erroring forbid is a deny naming it (Cedar alone would skip it and allow)", () => {
    // Validates (the tag is tested for) yet errors at run time: the overflow of a Long.
    const set = compile(`@id("overflow") forbid(principal, action == Action::"production.deploy", resource) when { context.remainingToolCalls * 9223372036854775807 > 0 };`);
    const r = evaluatePolicy(set, call());
    expect(r).toMatchObject({ outcome: "deny", error: true, determinedBy: ["overflow"] });
    expect(r.message).toMatch(/overflow/);
  });

  it("a call outside the schema (a tool not in the catalog) under an unscoped policy is a deny naming the policy", () => {
    const set = compile(`@id("all") forbid(principal, action, resource) when { context.environment == "never" };`);
    expect(evaluatePolicy(set, call({ tool: "new.tool" }))).toMatchObject({ outcome: "deny", error: true, determinedBy: ["all"] });
    // scoped policies do not apply to it
    expect(evaluatePolicy(compile(`forbid(principal, action == Action::"repo.read", resource);`), call({ tool: "new.tool" })).outcome).toBe("allow");
    // A group-scoped one may (a write tool added since the set was compiled is in "write"): deny, never skip it.
    expect(evaluatePolicy(compile(`@id("writes") forbid(principal, action in Action::"write", resource) when { context.environment == "production" };`), call({ tool: "new.tool" }))).toMatchObject({ outcome: "deny", error: true, determinedBy: ["writes"] });
  });

  it("memoises calls that differ only in what no policy reads", () => {
    // `like`, not a guard (==): a call in another environment still reaches Cedar
    const set = compile(`@id("env") forbid(principal, action == Action::"production.deploy", resource) when { context.environment like "stag*" };`);
    const memo = new Map<string, PolicyResult>();
    evaluatePolicy(set, call({ runId: "run_a", at: new Date(1) }), memo);
    evaluatePolicy(set, call({ runId: "run_b", at: new Date(2) }), memo);
    expect(memo.size).toBe(1);
    expect(evaluatePolicy(set, call({ environment: "staging" }), memo).determinedBy).toEqual(["env"]);
    expect(memo.size).toBe(2);
  });

  it("keys the memo by the resource's tags and attributes read, or by the resource itself when a policy names it", () => {
    const byTag = compile(`@id("gold") forbid(principal, action == Action::"production.deploy", resource) when { resource.hasTag("tier") && resource.getTag("tier") == "gold" };`);
    const memo = new Map<string, PolicyResult>();
    expect(evaluatePolicy(byTag, call({ resource: { type: "service", id: "a", attributes: { tier: "gold" } } }), memo).determinedBy).toEqual(["gold"]);
    expect(evaluatePolicy(byTag, call({ resource: { type: "service", id: "b", attributes: { tier: "gold", other: 1 } } }), memo).determinedBy).toEqual(["gold"]);
    expect(memo.size).toBe(1);
    expect(evaluatePolicy(byTag, call({ resource: { type: "service", id: "c", attributes: {} } }), memo).outcome).toBe("allow");
    expect(memo.size).toBe(2);
    const named = compile(`@id("api") forbid(principal, action == Action::"production.deploy", resource == service::"api");`);
    const m2 = new Map<string, PolicyResult>();
    expect(evaluatePolicy(named, call(), m2).determinedBy).toEqual(["api"]);
    expect(evaluatePolicy(named, call({ resource: { type: "service", id: "web" } }), m2).outcome).toBe("allow");
    expect(m2.size).toBe(2);
    // A caller's huge attribute map is not kept in the memo as is (50,000 keys of ~60 KB each).
    const huge = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, "x".repeat(300)]));
    expect(evaluatePolicy(named, call({ resource: { type: "service", id: "api", attributes: huge } }), m2).determinedBy).toEqual(["api"]);
    expect(evaluatePolicy(named, call({ resource: { type: "service", id: "api", attributes: { ...huge, k0: "y" } } }), m2).determinedBy).toEqual(["api"]);
    expect(m2.size).toBe(4);
    for (const k of m2.keys()) expect(k.length).toBeLessThanOrEqual(512);
  });
});

describe("applyPolicy: the lease must allow and policy must not forbid", () => {
  const allow: Verdict = { outcome: "allow", reasons: [{ code: "granted", message: "granted" }] };
  const deny: Verdict = { outcome: "deny", reasons: [{ code: "tool_denied", message: "no" }] };
  const escalate: Verdict = { outcome: "escalate", reasons: [{ code: "approval_required", message: "lease says so" }] };
  const P = (outcome: PolicyResult["outcome"], extra: Partial<PolicyResult> = {}): PolicyResult => ({ outcome, determinedBy: outcome === "allow" ? [] : ["p1"], message: "why", ...extra });

  it("keeps a lease deny whatever policy says, and the lease's verdict when policy allows", () => {
    expect(applyPolicy(deny, P("escalate"), "t.x", undefined)).toBe(deny);
    expect(applyPolicy(allow, P("allow"), "t.x", undefined)).toBe(allow);
    expect(applyPolicy(escalate, P("allow"), "t.x", undefined)).toBe(escalate);
  });

  it("policy deny is policy_forbid, an error policy_error", () => {
    expect(applyPolicy(allow, P("deny"), "t.x", undefined).reasons).toEqual([{ code: "policy_forbid", message: "why" }]);
    expect(applyPolicy(escalate, P("deny", { error: true }), "t.x", undefined).reasons).toEqual([{ code: "policy_error", message: "why" }]);
  });

  it("policy escalate asks people, unless an approval comes with the call", () => {
    expect(applyPolicy(allow, P("escalate", { requiredApprovals: 2 }), "t.x", undefined)).toEqual({ outcome: "escalate", requiredApprovals: 2, reasons: [{ code: "approval_required", message: "t.x needs step-up approval (why)" }] });
    expect(applyPolicy(allow, P("escalate"), "t.x", "apr_1")).toMatchObject({ outcome: "allow", approvalId: "apr_1", reasons: [{ code: "approval_granted" }] });
    const approved: Verdict = { outcome: "allow", approvalId: "apr_2", reasons: [{ code: "approval_granted", message: "ok" }] };
    expect(applyPolicy(approved, P("escalate"), "t.x", "apr_2")).toEqual(approved);
    // An approval-backed allow carries what the policy asks of that approval (checked as it is consumed).
    expect(applyPolicy(approved, P("escalate", { requiredApprovals: 2 }), "t.x", "apr_2")).toMatchObject({ outcome: "allow", approvalId: "apr_2", requiredApprovals: 2 });
    expect(applyPolicy(allow, P("escalate", { requiredApprovals: 2 }), "t.x", "apr_1")).toMatchObject({ outcome: "allow", approvalId: "apr_1", requiredApprovals: 2 });
    expect(applyPolicy(escalate, P("escalate", { requiredApprovals: 3 }), "t.x", undefined)).toMatchObject({ outcome: "escalate", requiredApprovals: 3 });
  });
});

describe("the starter policy set (demo data)", () => {
  const c = compilePolicySet(STARTER_POLICY, { tools: CATALOG.map((t) => ({ name: t.name, risk: t.risk, readOnly: t.readOnly })), resourceTypes: ["branch", "repo"] }, 1);

  it("validates against the catalog's schema", () => {
    expect(c.ok && c.set.policies.map((p) => p.id)).toEqual(["critical-tools-two-approvers", "high-risk-tools-step-up", "production-writes-escalate"]);
  });

  it("says what the catalog's risks already do, and makes production writes wait for a person", () => {
    if (!c.ok) throw new Error("starter policy invalid");
    const at = (tool: string, environment: string) => evaluatePolicy(c.set, call({ tool, environment, resource: null }));
    expect(at("production.deploy", "staging")).toMatchObject({ outcome: "escalate", requiredApprovals: 2, determinedBy: ["critical-tools-two-approvers"] });
    expect(at("pull_request.merge", "staging")).toMatchObject({ outcome: "escalate", determinedBy: ["high-risk-tools-step-up"] });
    expect(at("pull_request.merge", "staging").requiredApprovals).toBeUndefined();
    expect(at("repo.commit", "production")).toMatchObject({ outcome: "escalate", determinedBy: ["production-writes-escalate"] });
    expect(at("repo.commit", "staging").outcome).toBe("allow");
    expect(at("repo.read", "production").outcome).toBe("allow");
  });
});
