import { z } from "zod";
import { Environment, ToolName } from "@/lib/schemas/common";

export const REASON_CODES = [
  "granted",
  "token_invalid",
  "token_expired",
  "lease_not_found",
  "lease_pending",
  "lease_expired",
  "lease_revoked",
  "lease_exhausted",
  "lease_completed",
  "lease_denied",
  "agent_suspended",
  "delegator_inactive",
  "tool_denied",
  "tool_not_granted",
  "resource_out_of_scope",
  "approval_required",
  "approval_invalid",
  "approval_granted",
  "policy_forbid",
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];
export type Reason = { code: ReasonCode; message: string };

export const ResourceRef = z.strictObject({
  type: z.string().min(1).max(50),
  id: z.string().min(1).max(300),
  attributes: z.record(z.string(), z.union([z.string().max(300), z.number(), z.boolean()])).optional(),
});

export const DecisionRequest = z.strictObject({
  leaseToken: z.string().describe("the lease token the agent run was given (anything malformed is answered deny / token_invalid)"),
  tool: ToolName,
  resource: ResourceRef.optional(),
  context: z.object({ environment: Environment.optional() }).catchall(z.unknown()).optional(),
  approvalId: z.string().regex(/^apr_[a-z0-9]{1,40}$/).optional(),
});
export type DecisionRequest = z.infer<typeof DecisionRequest>;

export const DecisionResponse = z.object({
  decision: z.enum(["allow", "deny", "escalate"]),
  decisionId: z.string(),
  reasons: z.array(z.object({ code: z.enum(REASON_CODES), message: z.string() })),
  escalationId: z.string().nullable(),
  lease: z.object({ id: z.string(), status: z.string(), remainingToolCalls: z.number(), expiresAt: z.string() }).nullable(),
});
export type DecisionResponse = z.infer<typeof DecisionResponse>;
