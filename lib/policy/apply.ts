import type { Verdict } from "@/lib/decisions/evaluate";
import type { PolicyResult } from "@/lib/policy/evaluate";

export type { PolicyStamp } from "@/lib/policy/stamp";

/**
 * The lease rules' verdict combined with the policy's answer: the lease must allow AND policy must not
 * forbid. A lease deny stands (policy is not asked); a policy deny or error denies; a policy escalate
 * asks people, unless the call presents an approval (consumed at commit, bound to this call: a wrong one
 * is approval_invalid there).
 */
export function applyPolicy(lease: Verdict, policy: PolicyResult, tool: string, approvalId: string | undefined): Verdict {
  if (lease.outcome === "deny" || policy.outcome === "allow") return lease;
  const named = policy.determinedBy.join(", ");
  if (policy.outcome === "deny") {
    return policy.error
      ? { outcome: "deny", reasons: [{ code: "policy_error", message: policy.message ?? `policy ${named} could not be evaluated` }] }
      : { outcome: "deny", reasons: [{ code: "policy_forbid", message: policy.message ?? `forbidden by policy ${named}` }] };
  }
  const why = { code: "approval_required" as const, message: `${tool} needs step-up approval (${policy.message ?? `policy ${named}`})` };
  const approvals = policy.requiredApprovals ? { requiredApprovals: policy.requiredApprovals } : {};
  if (lease.outcome === "allow") {
    // The approval must have as many approvers as the policy now asks (decide.ts checks it as it consumes it).
    if (lease.approvalId) return policy.requiredApprovals ? { ...lease, ...approvals } : lease;
    if (approvalId) return { outcome: "allow", approvalId, reasons: [{ code: "approval_granted", message: `${tool} was approved by people (${approvalId}), as policy ${named} requires` }], ...approvals };
    return { outcome: "escalate", reasons: [why], ...approvals };
  }
  const most = Math.max(lease.requiredApprovals ?? 0, policy.requiredApprovals ?? 0);
  return { outcome: "escalate", reasons: [...lease.reasons, why], ...(most ? { requiredApprovals: most } : {}) };
}
