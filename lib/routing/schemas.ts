import { z } from "zod";
import { IdOf, Text } from "@/lib/schemas/common";

const Risk = z.enum(["low", "medium", "high", "critical"]);
/** A condition left out or null matches anything ("any"). */
const fields = {
  name: Text(120).min(1),
  position: z.number().int().min(0).max(1_000_000).describe("lower runs first; the first matching route wins (default: after the last)"),
  agentId: IdOf("agt").nullable().describe("null: any agent"),
  tool: z.string().regex(/^[a-z0-9_.-]{1,120}$/, "must be a tool name").nullable().describe("null: any tool"),
  risk: Risk.nullable().describe("null: any risk"),
  environment: z.string().regex(/^[a-z0-9_.-]{1,64}$/, "must be an environment name").nullable().describe("null: any environment"),
  groupIds: z.array(IdOf("grp")).min(1).max(20).describe("the approver groups the request is assigned to"),
  requiredApprovals: z.number().int().min(1).max(10).nullable().describe("N approvals; never fewer than the tool's risk requires (null: that)"),
  windowMinutes: z.number().int().min(1).max(24 * 60).nullable().describe("the approval window (null: the risk's: 15 min critical, else 60); bounded by the lease's expiry"),
};
export const ApprovalRouteCreate = z.strictObject({
  ...fields,
  position: fields.position.optional(),
  agentId: fields.agentId.optional(),
  tool: fields.tool.optional(),
  risk: fields.risk.optional(),
  environment: fields.environment.optional(),
  requiredApprovals: fields.requiredApprovals.optional(),
  windowMinutes: fields.windowMinutes.optional(),
});
export type ApprovalRouteCreate = z.infer<typeof ApprovalRouteCreate>;
export const ApprovalRoutePatch = z
  .strictObject(fields)
  .partial()
  .refine((v) => Object.keys(v).length > 0, "nothing to change");
export type ApprovalRoutePatch = z.infer<typeof ApprovalRoutePatch>;
export const ApprovalRouteParams = z.object({ id: IdOf("rte") });
export const ApprovalRouteView = z.object({
  id: z.string(),
  name: z.string(),
  position: z.number(),
  agentId: z.string().nullable(),
  tool: z.string().nullable(),
  risk: Risk.nullable(),
  environment: z.string().nullable(),
  groupIds: z.array(z.string()),
  requiredApprovals: z.number().nullable(),
  windowMinutes: z.number().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ApprovalRouteView = z.infer<typeof ApprovalRouteView>;
