import { describe, expect, it } from "vitest";
import { toGrant } from "@/app/(console)/leases/_components/lease-draft";
import { scopeText } from "@/app/(console)/leases/_components/scope-text";
import { constraintText, describeConstraintUse } from "@/lib/leases/constraint-usage";
import { Grant } from "@/lib/leases/schemas";

describe("grant constraints as people enter and read them", () => {
  it("the lease form turns its constraint fields into the grant the API validates; empty fields add nothing", () => {
    const g = toGrant("contracts.read", { resourceType: "contract", resourceIds: "c-*", stepUp: false, maxRecords: "50", dataClasses: "public, internal", tenant: " acme ", production: false });
    expect(g).toEqual({ tool: "contracts.read", resource: { type: "contract", ids: ["c-*"] }, constraints: { maxRecords: 50, dataClasses: ["public", "internal"], tenant: "acme" } });
    expect(Grant.safeParse(g).success).toBe(true);
    expect(toGrant("repo.read", { resourceType: "", resourceIds: "", stepUp: false, maxRecords: " ", dataClasses: "", tenant: "" })).toEqual({ tool: "repo.read" });
    expect(toGrant("repo.commit", { resourceType: "", resourceIds: "", stepUp: false, production: true })).toEqual({ tool: "repo.commit", production: true });
    // An unknown data class or a non-number is the API's to refuse, at the field.
    const bad = Grant.safeParse(toGrant("contracts.read", { resourceType: "", resourceIds: "", stepUp: false, maxRecords: "lots", dataClasses: "pii" }));
    expect(bad.success ? [] : bad.error.issues.map((i) => i.path.join("."))).toEqual(["constraints.maxRecords", "constraints.dataClasses.0"]);
  });

  it("the lease page, the prompt and the receipt say each limit and the records used", () => {
    const grant: Grant = { tool: "contracts.read", resource: { type: "contract", ids: ["c-*"] }, constraints: { maxRecords: 50, dataClasses: ["public"], tenant: "acme" } };
    expect(scopeText(grant)).toBe("contract c-* (at most 50 records, data classes public, tenant acme)");
    expect(scopeText({ tool: "repo.commit", production: true })).toBe("any resource (production writes)");
    expect(scopeText({ tool: "repo.read" })).toBe("any resource");
    expect(describeConstraintUse({ tool: "contracts.read", resource: null, production: false, maxRecords: 50, recordsUsed: 12 })).toBe("contracts.read: at most 50 records (12 used)");
    expect(constraintText({ production: false, tenant: "acme", recordsUsed: null })).toBe("tenant acme");
  });
});

describe("the contract", () => {
  it("the OpenAPI document names the new reason codes and the grant's constraints and production flag", async () => {
    const { openApiDocument } = await import("@/lib/api/openapi");
    const text = JSON.stringify(openApiDocument());
    for (const word of ["constraint_violated", "environment_mismatch", "maxRecords", "dataClasses", "tenant", "production"]) expect(text, word).toContain(`"${word}"`);
  });
});
