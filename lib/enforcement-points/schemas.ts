import { z } from "zod";
import { IdOf } from "@/lib/schemas/common";
import { EP_SCOPES } from "@/lib/auth/scopes";

export const EnforcementPointCreate = z.strictObject({
  name: z.string().min(1).max(100),
  scopes: z.array(z.enum(EP_SCOPES)).min(1).max(EP_SCOPES.length),
  /** requests per second for this key, per instance (bursts of twice that); absent: LANYARD_EP_RATE_LIMIT */
  rateLimitPerSecond: z.number().int().min(1).max(1_000_000).optional(),
});
export type EnforcementPointCreate = z.infer<typeof EnforcementPointCreate>;
export const EnforcementPointParams = z.object({ id: IdOf("ep") });
export const EnforcementPointView = z.object({
  id: z.string(),
  name: z.string(),
  keyPrefix: z.string(),
  scopes: z.array(z.string()),
  rateLimitPerSecond: z.number().nullable(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});
