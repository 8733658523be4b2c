// A prefix grant (`customers/acme/*`) must not cover an id that climbs out of it with a dot segment:
// a tool that resolves `customers/acme/../globex` as a path reads another customer's records.
import { describe, expect, it } from "vitest";
import { evaluate, type ChainLease } from "@/lib/decisions/evaluate";
import { intentFindings } from "@/lib/intent/check";
import { grantCovers, matchGrant, patternCovers } from "@/lib/leases/scope";

const CLIMBING = ["customers/acme/../globex", "customers/acme/..", "customers/acme/./../globex", "customers/acme/%2e%2e/globex", "customers/acme/%2E%2e%2Fglobex", "customers/acme\\..\\globex", "customers/acme/x/../../globex"];
const FINE = ["customers/acme/42", "customers/acme/v1.2/x", "customers/acme/..hidden", "customers/acme/.profile"];

describe("resource prefixes and dot segments", () => {
  it("a prefix pattern covers ids under it, never one with a . or .. segment (plain, percent-encoded or with \\)", () => {
    for (const id of CLIMBING) expect(patternCovers("customers/acme/*", id), id).toBe(false);
    for (const id of FINE) expect(patternCovers("customers/acme/*", id), id).toBe(true);
    // A child grant cannot climb either (delegation and entitlement coverage use the same test).
    expect(grantCovers({ tool: "crm.read", resource: { type: "customer", ids: ["customers/acme/*"] } }, { tool: "crm.read", resource: { type: "customer", ids: ["customers/acme/../*"] } })).toBe(false);
  });

  it("a decision on a climbing id is resource_out_of_scope, and off an intent that names the prefix", () => {
    const grants = [{ tool: "crm.read", resource: { type: "customer", ids: ["customers/acme/*"] } }];
    expect(matchGrant(grants, "crm.read", { type: "customer", id: "customers/acme/../globex" })).toEqual({ ok: false, code: "resource_out_of_scope" });
    const leaf: ChainLease = { id: "lse_1", runId: "run_1", agentId: "agt_1", status: "active", expiresAt: new Date("2030-01-01T00:00:00Z"), toolCallsUsed: 0, maxToolCalls: 10, grants, deny: [], requireApproval: [], environment: "staging", version: 1 };
    const v = evaluate({
      claims: { leaseId: "lse_1", runId: "run_1", agentId: "agt_1", parentLeaseId: null, iat: 0, exp: 0 },
      chain: [leaf], agentStatus: "active", delegatorStatus: "active",
      tool: { name: "crm.read", risk: "low", readOnly: true, alwaysStepUp: false, requiredApprovals: null },
      request: { leaseToken: "t", tool: "crm.read", resource: { type: "customer", id: "customers/acme/../globex" } },
      now: new Date("2026-12-01T10:00:00Z"),
    });
    expect(v).toMatchObject({ outcome: "deny", reasons: [{ code: "resource_out_of_scope" }] });
    const off = intentFindings([{ id: "lse_1", toolCallsUsed: 0, intent: { resources: ["customers/acme/"] } }], { tool: "crm.read", resource: { type: "customer", id: "customers/acme/../globex" } });
    expect(off.map((f) => f.dimension)).toEqual(["resource"]);
  });
});
