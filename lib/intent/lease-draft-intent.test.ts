import { describe, expect, it } from "vitest";
import { draftIntent, toRequest, type LeaseDraft } from "@/app/(console)/leases/_components/lease-draft";
import { LeaseRequest } from "@/lib/leases/schemas";

// The lease form's intent box: front-matter keys or a whole spec, parsed as the SDK parses a spec, and
// the request it makes validates as the API's LeaseRequest.
const draft = (intentText: string): LeaseDraft => ({
  agentId: "agt_abc",
  purpose: "refresh acme's invoices",
  taskRef: "",
  intentText,
  environment: "staging",
  grants: { "crm.read": { resourceType: "", resourceIds: "", stepUp: false } } as LeaseDraft["grants"],
  deny: [],
  expiresMinutes: "30",
  maxToolCalls: "30",
  maxDelegationDepth: "0",
});

describe("the lease form's intent box", () => {
  it("empty: no intent", () => {
    expect(draftIntent("  ")).toEqual({});
    expect(LeaseRequest.parse(toRequest(draft(""))).intent).toBeUndefined();
  });
  it("keys alone, or a whole spec with its front matter, become the request's intent", () => {
    const keys = "resources: [customers/acme/]\ntools: [crm.read]\nexpectedCalls: 20";
    const spec = `---\ntitle: invoices\n${keys}\n---\n# Body`;
    for (const text of [keys, spec]) {
      expect(LeaseRequest.parse(toRequest(draft(text))).intent).toEqual({ resources: ["customers/acme/"], tools: ["crm.read"], expectedCalls: 20 });
    }
  });
  it("says what is wrong instead of sending a broken intent", () => {
    expect(draftIntent("expectedCalls: lots").error).toMatch(/expectedCalls/);
    expect(draftIntent("title: nothing to check").error).toMatch(/names none of/);
  });
});
