import { z } from "zod";
import { Environment, IdOf, Text, ToolName } from "@/lib/schemas/common";
import { DriftMode } from "@/lib/intent/schemas";

export const AgentStatus = z.enum(["active", "suspended", "retired"]);

export const AgentCeiling = z.object({
  tools: z.array(ToolName).max(200).describe("tools any lease for this agent may ever grant"),
  maxExpiresIn: z.number().int().min(60).max(7 * 24 * 3600).describe("longest lease, in seconds"),
  maxToolCalls: z.number().int().min(1).max(1_000_000).describe("largest call budget of one lease"),
});

export const AgentCreate = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "lowercase letters, digits and dashes (2–63)"),
  description: z.string().max(2000).default(""),
  ownerId: IdOf("usr"),
  environments: z.array(Environment).min(1).max(20),
  ceiling: AgentCeiling,
  driftMode: DriftMode.optional().describe("what an off-intent call does: enforce (escalate, intent_drift) or advisory (allowed and flagged; the default)"),
});
export type AgentCreate = z.infer<typeof AgentCreate>;

export const AgentPatch = z
  .strictObject({
    description: z.string().max(2000),
    ownerId: IdOf("usr"),
    environments: z.array(Environment).min(1).max(20),
    ceiling: AgentCeiling,
    driftMode: DriftMode,
    status: AgentStatus,
    reason: z.string().max(500).describe("why, recorded in the audit log (e.g. for a suspension)"),
  })
  .partial()
  .refine((v) => Object.keys(v).some((k) => k !== "reason"), "nothing to change");
export type AgentPatch = z.infer<typeof AgentPatch>;

export const AgentListQuery = z.object({
  q: Text(100).optional(),
  status: AgentStatus.optional(),
  environment: Environment.optional(),
  flag: z.enum(["dormant", "orphaned"]).optional(),
});
export type AgentListQuery = z.infer<typeof AgentListQuery>;

export const AgentView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  owner: z.object({ id: z.string(), email: z.string(), name: z.string(), status: z.string() }).nullable(),
  environments: z.array(z.string()),
  ceiling: AgentCeiling,
  driftMode: DriftMode,
  status: AgentStatus,
  lastSeenAt: z.string().nullable(),
  lastLeaseAt: z.string().nullable(),
  dormant: z.boolean(),
  orphaned: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type AgentView = z.infer<typeof AgentView>;

export const AgentParams = z.object({ id: IdOf("agt") });
