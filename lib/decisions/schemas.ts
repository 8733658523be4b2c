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
  "policy_error",
  "constraint_violated",
  "environment_mismatch",
  "intent_drift",
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];
export type Reason = { code: ReasonCode; message: string };

/** The most the `arguments` of one decision may hold, as JSON. */
export const MAX_ARGUMENTS_BYTES = 16 * 1024;
const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "hex sha-256 (64 lowercase hex digits)");

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
  arguments: z
    .record(z.string(), z.unknown())
    .refine((a) => Buffer.byteLength(JSON.stringify(a)) <= MAX_ARGUMENTS_BYTES, `at most ${MAX_ARGUMENTS_BYTES} bytes as JSON`)
    .optional()
    .describe("the call's arguments (a JSON object, at most 16 KiB serialized): stored with the decision, shown to approvers; Lanyard computes their digest"),
  argumentsDigest: Sha256Hex.optional().describe("hex sha-256 of the RFC 8785 canonical JSON of the arguments, for an enforcement point that must not send them; with `arguments`, it must match them"),
});
export type DecisionRequest = z.infer<typeof DecisionRequest>;

/** POST /api/v1/decisions/{id}/outcome: what happened after an allow. */
export const OutcomeRequest = z.strictObject({
  status: z.enum(["ok", "error"]),
  resultDigest: Sha256Hex.optional().describe("hex sha-256 of the canonical JSON of the result"),
  durationMs: z.number().min(0).max(86_400_000).optional(),
  summary: z.string().max(500).optional().describe("a short human note (never a secret: it is audited)"),
});
export type OutcomeRequest = z.infer<typeof OutcomeRequest>;
export const OutcomeParams = z.object({ id: z.string().regex(/^dec_[a-z0-9]{1,40}$/) });
export const OutcomeView = z.object({
  decisionId: z.string(),
  status: z.enum(["ok", "error"]),
  resultDigest: z.string().nullable(),
  durationMs: z.number().nullable(),
  summary: z.string().nullable(),
  at: z.string(),
});
export type OutcomeView = z.infer<typeof OutcomeView>;

export const DecisionResponse = z.object({
  decision: z.enum(["allow", "deny", "escalate"]),
  decisionId: z.string(),
  reasons: z.array(z.object({ code: z.enum(REASON_CODES), message: z.string() })),
  escalationId: z.string().nullable(),
  policy: z.object({ version: z.number().nullable().describe("the published policy version in force; null: none published"), determinedBy: z.array(z.string()).describe("ids of the policies that decided") }),
  lease: z.object({ id: z.string(), status: z.string(), remainingToolCalls: z.number(), expiresAt: z.string() }).nullable(),
});
export type DecisionResponse = z.infer<typeof DecisionResponse>;
