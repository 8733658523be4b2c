import { z } from "zod";
import { Environment, IsoTime, ToolName } from "@/lib/schemas/common";
import { ResourceRef } from "@/lib/decisions/schemas";

/** A policy set's text: Cedar, at most 256 KiB. */
export const PolicyText = z.string().max(256 * 1024).describe("Cedar policies (forbid only; @id, @escalate, @approvals, @reason annotations)");

export const PolicyProblemView = z.object({ policyId: z.string().optional(), message: z.string(), line: z.number().int().optional() });

export const ValidateRequest = z.strictObject({ text: PolicyText });
export const ValidateResponse = z.object({ valid: z.boolean(), errors: z.array(PolicyProblemView) });

export const PublishRequest = z.strictObject({ text: PolicyText, message: z.string().trim().min(1, "say what changed and why").max(500) });

export const PolicyVersionView = z.object({
  version: z.number().int(),
  message: z.string(),
  authorEmail: z.string(),
  createdAt: z.string(),
  policyIds: z.array(z.string()),
  diff: z.string(),
});
export type PolicyVersionView = z.infer<typeof PolicyVersionView>;

export const PolicyView = z.object({
  version: z.number().int(),
  text: z.string(),
  message: z.string(),
  authorEmail: z.string(),
  createdAt: z.string(),
  policies: z.array(z.object({ id: z.string(), line: z.number().int(), escalate: z.string().nullable(), approvals: z.number().int().nullable(), reason: z.string().nullable() })),
});
export const PolicyListResponse = z.object({ current: PolicyView.nullable(), versions: z.array(PolicyVersionView) });

const Id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[a-z0-9]{1,40}$`));

/** A call to try: as an enforcement point would ask, named by ids instead of a lease token. */
export const WhatIfCall = z.strictObject({
  tool: ToolName,
  leaseId: Id("lse").optional().describe("evaluate the lease rules of this lease (and its agent, run and delegator) too"),
  agentId: Id("agt").optional().describe("without a lease: the agent"),
  delegatorId: Id("usr").optional().describe("without a lease: the delegating person"),
  resource: ResourceRef.optional(),
  environment: Environment.optional(),
  at: IsoTime.optional(),
  approved: z.boolean().optional(),
  argumentsDigest: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});
export type WhatIfCall = z.infer<typeof WhatIfCall>;
export const WhatIfRequest = z.strictObject({ text: PolicyText.optional().describe("a draft; absent: the published version"), call: WhatIfCall });

export const ReplayRequest = z.strictObject({
  text: PolicyText,
  since: IsoTime.optional(),
  until: IsoTime.optional(),
  limit: z.number().int().min(1).max(200_000).optional().describe("the most past decisions to evaluate, newest first (default 100,000, at most 200,000)"),
});
export const ReplayResponse = z.object({
  evaluated: z.number().int(),
  changed: z.array(z.object({ decisionId: z.string(), runId: z.string().describe("the run of the decision's lease"), leaseId: z.string(), tool: z.string(), agentId: z.string().nullable(), at: z.string(), from: z.string(), to: z.string(), policyIds: z.array(z.string()) })),
  changedTotal: z.number().int(),
  byTool: z.record(z.string(), z.number().int()),
  byAgent: z.record(z.string(), z.number().int()),
  ms: z.number().describe("time the replay took"),
  loadMs: z.number().describe("of which reading the stored decisions"),
});
