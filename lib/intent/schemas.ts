import { z } from "zod";
import { MAX_TOOL_CALLS, ToolName } from "@/lib/schemas/common";

/**
 * What a lease declares its task to be. Each dimension is optional; one left out is not checked.
 * `resources`: prefixes of the resource ids the task works on ("customers/acme/"); `expectedCalls`:
 * how many calls the task should take (more than DRIFT_CALL_FACTOR times that is off-intent).
 */
export const Intent = z
  .strictObject({
    resources: z.array(z.string().min(1).max(300)).min(1).max(50).optional().describe("resource id prefixes the task works on"),
    tools: z.array(ToolName).min(1).max(100).optional().describe("the tools the task uses"),
    dataClasses: z.array(z.string().trim().min(1).max(50)).min(1).max(20).optional().describe("the data classes (resource.attributes.dataClass) the task touches"),
    expectedCalls: z.number().int().min(1).max(MAX_TOOL_CALLS).optional().describe(`calls the task should take; beyond 1.5× that is off-intent`),
  })
  .refine((i) => Object.values(i).some((v) => v !== undefined), "an intent declares at least one of resources, tools, dataClasses, expectedCalls");
export type Intent = z.infer<typeof Intent>;

export const DriftMode = z.enum(["enforce", "advisory"]);
export type DriftMode = z.infer<typeof DriftMode>;

export const DRIFT_DIMENSIONS = ["tool", "resource", "dataClass", "calls"] as const;
export type DriftDimension = (typeof DRIFT_DIMENSIONS)[number];

/** One way a call is off a lease's intent: the dimension, what the intent expected, what the call did. */
export type DriftFinding = { dimension: DriftDimension; leaseId: string; expected: string; actual: string };
/** Stored on the decision row (`drift`) and carried by the verdict. */
export type Drift = { mode: DriftMode; findings: DriftFinding[] };
