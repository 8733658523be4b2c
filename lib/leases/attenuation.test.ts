import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkAttenuation, type ChildTerms, type ParentTerms } from "@/lib/leases/attenuation";
import type { Grant } from "@/lib/leases/schemas";
import { grantCovers, matchGrant } from "@/lib/leases/scope";

const TOOLS = ["repo.read", "repo.commit", "pull_request.create", "production.deploy", "secrets.read"];
const IDS = ["main", "agent/a", "agent/b", "agent/*", "release/*", "release/1"];

const grant: fc.Arbitrary<Grant> = fc.record(
  { tool: fc.constantFrom(...TOOLS), resource: fc.option(fc.record({ type: fc.constantFrom("branch", "repo"), ids: fc.uniqueArray(fc.constantFrom(...IDS), { minLength: 1, maxLength: 3 }) }), { nil: undefined }) },
  { requiredKeys: ["tool"] },
);
const base = new Date("2026-11-23T10:00:00Z").getTime();
const parent: fc.Arbitrary<ParentTerms> = fc.record({
  grants: fc.array(grant, { minLength: 1, maxLength: 4 }),
  deny: fc.uniqueArray(fc.constantFrom(...TOOLS), { maxLength: 2 }),
  requireApproval: fc.uniqueArray(fc.constantFrom(...TOOLS), { maxLength: 2 }),
  expiresAt: fc.integer({ min: 60, max: 7200 }).map((s) => new Date(base + s * 1000)),
  remainingToolCalls: fc.integer({ min: 0, max: 50 }),
  depth: fc.integer({ min: 0, max: 3 }),
  maxDelegationDepth: fc.integer({ min: 0, max: 3 }),
});
const child: fc.Arbitrary<ChildTerms> = fc.record({
  grants: fc.array(grant, { minLength: 1, maxLength: 4 }),
  deny: fc.uniqueArray(fc.constantFrom(...TOOLS), { maxLength: 4 }),
  requireApproval: fc.uniqueArray(fc.constantFrom(...TOOLS), { maxLength: 4 }),
  expiresAt: fc.integer({ min: 60, max: 7200 }).map((s) => new Date(base + s * 1000)),
  maxToolCalls: fc.integer({ min: 1, max: 60 }),
  maxDelegationDepth: fc.integer({ min: 0, max: 3 }),
});
const call = fc.record({ tool: fc.constantFrom(...TOOLS), resource: fc.option(fc.record({ type: fc.constantFrom("branch", "repo"), id: fc.constantFrom("main", "agent/a", "agent/b", "agent/x", "release/1", "release/2") }), { nil: undefined }) });

describe("checkAttenuation", () => {
  it("whatever child it accepts is within the parent: every call the child allows, the parent allows", () => {
    fc.assert(
      fc.property(parent, child, fc.array(call, { maxLength: 20 }), (p, c, calls) => {
        if (checkAttenuation(p, c).length > 0) return;
        expect(c.expiresAt.getTime()).toBeLessThanOrEqual(p.expiresAt.getTime());
        expect(c.maxToolCalls).toBeLessThanOrEqual(p.remainingToolCalls);
        expect(p.maxDelegationDepth).toBeGreaterThanOrEqual(1);
        expect(c.maxDelegationDepth).toBeLessThan(p.maxDelegationDepth);
        for (const d of p.deny) expect(c.deny).toContain(d);
        for (const r of p.requireApproval) expect(c.requireApproval).toContain(r);
        for (const k of calls) {
          if (matchGrant(c.grants, k.tool, k.resource).ok) expect(matchGrant(p.grants, k.tool, k.resource).ok).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("whatever it refuses names the violated rule, and each named rule really is broken", () => {
    fc.assert(
      fc.property(parent, child, (p, c) => {
        const violations = checkAttenuation(p, c);
        const rules = new Set(violations.map((v) => v.rule));
        expect(rules.has("grants")).toBe(c.grants.some((g) => !p.grants.some((pg) => grantCovers(pg, g))));
        expect(rules.has("deny")).toBe(p.deny.some((d) => !c.deny.includes(d)));
        expect(rules.has("require_approval")).toBe(p.requireApproval.some((r) => !c.requireApproval.includes(r)));
        expect(rules.has("expiry")).toBe(c.expiresAt.getTime() > p.expiresAt.getTime());
        expect(rules.has("budget")).toBe(c.maxToolCalls > p.remainingToolCalls);
        expect(rules.has("depth")).toBe(p.maxDelegationDepth < 1 || c.maxDelegationDepth > p.maxDelegationDepth - 1);
        for (const v of violations) expect(v.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it("refuses a child that widens a resource scope, with one reason per offending grant", () => {
    const p: ParentTerms = { grants: [{ tool: "repo.commit", resource: { type: "branch", ids: ["agent/*"] } }], deny: [], requireApproval: [], expiresAt: new Date(base + 60_000), remainingToolCalls: 10, depth: 0, maxDelegationDepth: 1 };
    const v = checkAttenuation(p, {
      grants: [{ tool: "repo.commit", resource: { type: "branch", ids: ["main"] } }, { tool: "repo.commit" }, { tool: "repo.commit", resource: { type: "branch", ids: ["agent/x"] } }],
      deny: [],
      requireApproval: [],
      expiresAt: new Date(base + 30_000),
      maxToolCalls: 5,
      maxDelegationDepth: 0,
    });
    expect(v.map((x) => x.path)).toEqual([["grants", 0], ["grants", 1]]);
  });
});

describe("matchGrant", () => {
  it("prefix patterns cover what starts with the prefix, and nothing else", () => {
    const grants: Grant[] = [{ tool: "repo.commit", resource: { type: "branch", ids: ["agent/*"] } }];
    expect(matchGrant(grants, "repo.commit", { type: "branch", id: "agent/dependency-update" }).ok).toBe(true);
    expect(matchGrant(grants, "repo.commit", { type: "branch", id: "main" })).toEqual({ ok: false, code: "resource_out_of_scope" });
    expect(matchGrant(grants, "repo.commit", { type: "repo", id: "agent/x" })).toEqual({ ok: false, code: "resource_out_of_scope" });
    expect(matchGrant(grants, "repo.commit", undefined)).toEqual({ ok: false, code: "resource_out_of_scope" });
    expect(matchGrant(grants, "repo.read", undefined)).toEqual({ ok: false, code: "tool_not_granted" });
  });
});
