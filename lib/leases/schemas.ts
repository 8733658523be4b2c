import { z } from "zod";
import { Email, Environment, IdOf, MAX_EXPIRES_IN, MAX_TOOL_CALLS, ToolName } from "@/lib/schemas/common";
import { Intent } from "@/lib/intent/schemas";

export const LeaseStatus = z.enum(["pending_approval", "active", "expired", "revoked", "exhausted", "completed", "denied"]);
export type LeaseStatus = z.infer<typeof LeaseStatus>;
export const LIVE_STATUSES = ["pending_approval", "active"] as const;

/** A resource id pattern: exact, or a prefix ending in `*` ("agent/*"). */
export const ResourcePattern = z.string().min(1).max(300);
export const GrantResource = z.strictObject({ type: z.string().min(1).max(50), ids: z.array(ResourcePattern).min(1).max(100) });
/** The environment where tools that are not read-only need an explicit production grant (or step-up approval). */
export const PRODUCTION = "production";

/** Data classes, least to most sensitive. A call that names none is judged as the most sensitive (`secret`). */
export const DATA_CLASSES = ["public", "internal", "confidential", "secret"] as const;
export const DataClass = z.enum(DATA_CLASSES);
/** Limits on what a grant allows, checked at decision time against the call's resource (issue 15). */
export const GrantConstraints = z.strictObject({
  maxRecords: z.number().int().min(1).max(1_000_000).optional().describe("distinct resources (type and id) this lease may touch under the grant"),
  dataClasses: z.array(DataClass).min(1).max(DATA_CLASSES.length).optional().describe("the call's resource.attributes.dataClass must be one of these; a call without one counts as secret"),
  tenant: z.string().min(1).max(300).optional().describe("the call's resource.attributes.tenant must equal this"),
});
export type GrantConstraints = z.infer<typeof GrantConstraints>;
export const Grant = z.strictObject({
  tool: ToolName,
  resource: GrantResource.optional(),
  constraints: GrantConstraints.optional(),
  production: z.boolean().optional().describe("an explicit production grant: a tool that is not read-only may run under a production lease without step-up approval"),
});
export type Grant = z.infer<typeof Grant>;

const RunId = z.string().regex(/^run_[a-z0-9_]{1,60}$/, "must be a run_ id");

export const LeaseRequest = z.strictObject({
  agentId: IdOf("agt"),
  runId: RunId.optional(),
  purpose: z.string().trim().min(3).max(500),
  taskRef: z.string().max(500).optional(),
  intent: Intent.optional().describe("the declared task, checked on every decision (intent_drift); e.g. intentFromTaskRef() of the spec's front matter"),
  requestedBy: Email.optional(),
  environment: Environment,
  grants: z.array(Grant).min(1).max(100),
  deny: z.array(ToolName).max(100).default([]),
  requireApproval: z.array(ToolName).max(100).default([]),
  expiresIn: z.number().int().min(30).max(MAX_EXPIRES_IN).describe("seconds; capped by the agent's and the org's ceiling"),
  maxToolCalls: z.number().int().min(1).max(MAX_TOOL_CALLS),
  maxDelegationDepth: z.number().int().min(0).max(5).default(0),
});
export type LeaseRequest = z.infer<typeof LeaseRequest>;

export const DelegateRequest = z.strictObject({
  leaseToken: z.string().max(8192),
  agentId: IdOf("agt"),
  purpose: z.string().trim().min(3).max(500),
  intent: Intent.optional().describe("within the parent's intent, dimension by dimension; one left out is still checked through the parent's"),
  grants: z.array(Grant).min(1).max(100),
  deny: z.array(ToolName).max(100).optional(),
  requireApproval: z.array(ToolName).max(100).optional(),
  expiresIn: z.number().int().min(1).max(MAX_EXPIRES_IN),
  maxToolCalls: z.number().int().min(1).max(MAX_TOOL_CALLS),
  maxDelegationDepth: z.number().int().min(0).max(5).optional(),
});
export type DelegateRequest = z.infer<typeof DelegateRequest>;

export const RevokeRequest = z.strictObject({ reason: z.string().trim().min(1, "a reason is required").max(500) });
export const CompleteRequest = z.strictObject({ leaseToken: z.string().max(8192) });
export const ApproveLeaseRequest = z.strictObject({ verdict: z.enum(["approve", "deny"]), reason: z.string().trim().min(1).max(500) });

export const LeaseParams = z.object({ id: IdOf("lse") });
export const LeaseListQuery = z.object({
  status: LeaseStatus.optional(),
  agentId: IdOf("agt").optional(),
  delegatorId: IdOf("usr").optional(),
  limit: z.coerce.number().int().min(1).max(200).default(100),
});

export const LeaseView = z.object({
  id: z.string(),
  runId: z.string(),
  agentId: z.string(),
  parentLeaseId: z.string().nullable(),
  delegatorId: z.string().nullable(),
  approvedBy: z.string().nullable(),
  requestedBy: z.string(),
  purpose: z.string(),
  taskRef: z.string().nullable(),
  intent: Intent.nullable(),
  environment: z.string(),
  grants: z.array(Grant),
  deny: z.array(z.string()),
  requireApproval: z.array(z.string()),
  status: LeaseStatus,
  expiresAt: z.string(),
  maxToolCalls: z.number(),
  toolCallsUsed: z.number(),
  maxDelegationDepth: z.number(),
  depth: z.number(),
  version: z.number(),
  endedReason: z.string().nullable(),
  createdAt: z.string(),
  endedAt: z.string().nullable(),
});
export type LeaseView = z.infer<typeof LeaseView>;
export const LeaseIssued = z.object({ lease: LeaseView, leaseToken: z.string() });
