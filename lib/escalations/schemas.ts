import { z } from "zod";
import { IdOf, ToolName } from "@/lib/schemas/common";
import { ResourceRef } from "@/lib/decisions/schemas";

export const EscalationKind = z.enum(["step_up", "more_permission", "lease_request", "extension"]);
export const EscalationStatus = z.enum(["pending", "approved", "denied", "expired", "consumed", "cancelled"]);

export const EscalationCreate = z.strictObject({
  leaseToken: z.string(),
  kind: z.enum(["step_up", "more_permission"]),
  tool: ToolName,
  resource: ResourceRef.optional(),
  justification: z.string().trim().min(3, "say why the agent needs this").max(2000),
});
export type EscalationCreate = z.infer<typeof EscalationCreate>;

export const VoteRequest = z.strictObject({
  verdict: z.enum(["approve", "deny"]),
  reason: z.string().trim().max(1000).default(""),
});
export type VoteRequest = z.infer<typeof VoteRequest>;

export const EscalationParams = z.object({ id: IdOf("esc") });
export const WaitQuery = z.object({ waitSeconds: z.coerce.number().int().min(0).max(60).default(0) });
export const EscalationListQuery = z.object({
  status: EscalationStatus.optional(),
  kind: EscalationKind.optional(),
  agentId: IdOf("agt").optional(),
  limit: z.coerce.number().int().min(1).max(200).default(100),
});

export const EscalationView = z.object({
  id: z.string(),
  kind: EscalationKind,
  leaseId: z.string(),
  runId: z.string(),
  agentId: z.string(),
  tool: z.string().nullable(),
  resource: z.object({ type: z.string(), id: z.string() }).nullable(),
  /** a step-up's call arguments as the enforcement point sent them (null: none sent, or only their digest) */
  arguments: z.record(z.string(), z.unknown()).nullable(),
  /** the digest its approval is bound to (null: a call that carried no arguments digest) */
  argumentsDigest: z.string().nullable(),
  /** an extension's asked limits (null for every other kind) */
  extension: z.object({ expiresAt: z.string().optional(), maxToolCalls: z.number().optional() }).nullable(),
  justification: z.string(),
  status: EscalationStatus,
  requiredApprovals: z.number(),
  approvals: z.array(z.object({ by: z.string(), verdict: z.enum(["approve", "deny"]), reason: z.string(), at: z.string() })),
  approvalId: z.string().nullable(),
  approvalExpiresAt: z.string().nullable(),
  expiresAt: z.string(),
  createdAt: z.string(),
  decidedAt: z.string().nullable(),
});
export type EscalationView = z.infer<typeof EscalationView>;
