import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { constraintBroken } from "@/lib/decisions/evaluate";
import { checkAttenuation } from "@/lib/leases/attenuation";
import { DATA_CLASSES, type Grant } from "@/lib/leases/schemas";
import { constraintGap, grantCovers } from "@/lib/leases/scope";

const constraints = fc.record(
  { maxRecords: fc.integer({ min: 1, max: 20 }), dataClasses: fc.uniqueArray(fc.constantFrom(...DATA_CLASSES), { minLength: 1, maxLength: 4 }), tenant: fc.constantFrom("acme", "globex") },
  { requiredKeys: [] },
);
const grant: fc.Arbitrary<Grant> = fc.record({ tool: fc.constant("contracts.read"), constraints: fc.option(constraints, { nil: undefined }), production: fc.option(fc.constant(true), { nil: undefined }) }, { requiredKeys: ["tool"] });
const attributes = fc.record({ dataClass: fc.constantFrom(...DATA_CLASSES, "pii"), tenant: fc.constantFrom("acme", "globex", "initech") }, { requiredKeys: [] });

describe("constraints attenuate", () => {
  it("a child grant the parent covers never allows a call the parent's constraints refuse, never counts more records, never gains production", () => {
    fc.assert(
      fc.property(grant, grant, fc.array(attributes, { maxLength: 10 }), (p, c, calls) => {
        if (!grantCovers(p, c)) return;
        for (const a of calls) {
          const req = { leaseToken: "t", tool: "contracts.read", resource: { type: "contract", id: "c-1", attributes: a } };
          if (constraintBroken(c, req) === null) expect(constraintBroken(p, req)).toBeNull();
        }
        if (p.constraints?.maxRecords !== undefined) expect(c.constraints!.maxRecords!).toBeLessThanOrEqual(p.constraints.maxRecords);
        if (c.production) expect(p.production).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("checkAttenuation names the constraint that is looser, at the grant's constraints", () => {
    const parent = { grants: [{ tool: "contracts.read", constraints: { maxRecords: 5, tenant: "acme" } }] as Grant[], deny: [], requireApproval: [], expiresAt: new Date(10_000), remainingToolCalls: 10, depth: 0, maxDelegationDepth: 1 };
    const child = (g: Grant) => ({ grants: [g], deny: [], requireApproval: [], expiresAt: new Date(5_000), maxToolCalls: 1, maxDelegationDepth: 0 });
    expect(checkAttenuation(parent, child({ tool: "contracts.read", constraints: { maxRecords: 6, tenant: "acme" } }))).toEqual([
      { rule: "constraints", path: ["grants", 0, "constraints"], message: "contracts.read on any resource: maxRecords 6 exceeds the parent's 5" },
    ]);
    expect(checkAttenuation(parent, child({ tool: "contracts.read", constraints: { maxRecords: 5, tenant: "acme", dataClasses: ["public"] } }))).toEqual([]);
    expect(constraintGap({ tool: "x" }, { tool: "x", constraints: { tenant: "acme" } })).toBeNull();
  });
});
