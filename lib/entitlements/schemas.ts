import { z } from "zod";
import { Environment, Risk, Text, ToolName } from "@/lib/schemas/common";
import { GrantResource } from "@/lib/leases/schemas";

export const EntitlementSubjectType = z.enum(["role", "group", "person"]);
export const EntitlementCreate = z.strictObject({
  subjectType: EntitlementSubjectType,
  subjectId: z.string().min(1).max(100).describe("a role's name, a group's id (grp_…) or a person's id (usr_…)"),
  tools: z.array(z.union([z.literal("*"), ToolName])).min(1).max(200).describe('catalog tool names, or "*" for every tool'),
  maxRisk: Risk.nullable().optional().describe("covers only tools of at most this risk (null or absent: any risk)"),
  environments: z.array(z.union([z.literal("*"), Environment])).min(1).max(50),
  resources: z.array(GrantResource).min(1).max(50).nullable().optional().describe("null or absent: any resource; else a grant must fall within one of these scopes"),
  description: Text(500).optional(),
});
export type EntitlementCreate = z.infer<typeof EntitlementCreate>;
// The default rows of the migration have readable ids (ent_default_role_admin), hence the underscore.
export const EntitlementParams = z.object({ id: z.string().regex(/^ent_[a-z0-9_]{1,60}$/, "must be an ent_ id") });
export const EntitlementView = z.object({
  id: z.string(),
  subjectType: EntitlementSubjectType,
  subjectId: z.string(),
  subjectLabel: z.string().describe("the role, group name or person's email"),
  tools: z.array(z.string()),
  maxRisk: Risk.nullable(),
  environments: z.array(z.string()),
  resources: z.array(GrantResource).nullable(),
  description: z.string(),
  createdAt: z.string(),
});
export type EntitlementView = z.infer<typeof EntitlementView>;
export const DelegableToolView = z.object({
  tool: z.string(),
  risk: z.string(),
  environments: z.union([z.literal("*"), z.array(z.string())]),
  resources: z.array(GrantResource).nullable(),
  entitlementIds: z.array(z.string()),
  missing: z.string().nullable().describe("why this person may not delegate the tool; null when they may"),
});
