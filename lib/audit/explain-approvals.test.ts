import { describe, expect, it } from "vitest";
import { approvalsSaid } from "@/lib/audit/explain-approvals";

const avery = { email: "avery@example.com", name: "Avery Approver" };
const sam = { email: "sam@example.com", name: null };

describe("approvalsSaid", () => {
  it("a step-up's approver approved the call, not the lease", () => {
    const said = approvalsSaid({ leaseApprovedBy: null, approvals: [{ kind: "step_up", tool: "production.deploy", votes: [{ by: avery, verdict: "approve" }] }] });
    expect(said.lease).toEqual([]);
    expect(said.other).toEqual([{ kind: "step_up", tool: "production.deploy", by: ["Avery Approver"] }]);
  });

  it("the lease's approver and its lease-request votes approved the lease; denials approve nothing", () => {
    const said = approvalsSaid({
      leaseApprovedBy: avery,
      approvals: [
        { kind: "lease_request", tool: null, votes: [{ by: avery, verdict: "approve" }, { by: sam, verdict: "approve" }] },
        { kind: "step_up", tool: "pull_request.merge", votes: [{ by: sam, verdict: "deny" }] },
      ],
    });
    expect(said).toEqual({ lease: ["Avery Approver", "sam@example.com"], other: [] });
  });
});
