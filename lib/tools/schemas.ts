import { z } from "zod";
import { Risk, ToolName } from "@/lib/schemas/common";

export const ToolView = z.object({
  name: ToolName,
  description: z.string(),
  risk: Risk,
  readOnly: z.boolean(),
  alwaysStepUp: z.boolean(),
  requiredApprovals: z.number().int().nullable(),
});
export type ToolView = z.infer<typeof ToolView>;
export const ToolUpsert = z.strictObject({
  name: ToolName,
  description: z.string().max(1000).default(""),
  risk: Risk,
  readOnly: z.boolean().default(false),
  alwaysStepUp: z.boolean().default(false),
  requiredApprovals: z.number().int().min(1).max(5).nullable().default(null),
});
export type ToolUpsert = z.infer<typeof ToolUpsert>;
