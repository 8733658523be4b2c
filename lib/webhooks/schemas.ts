import { z } from "zod";
import { IdOf } from "@/lib/schemas/common";

export const WEBHOOK_EVENT_NAMES = ["escalation.created", "escalation.decided"] as const;

export const WebhookCreate = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2000),
  events: z.array(z.enum(WEBHOOK_EVENT_NAMES)).min(1).default([...WEBHOOK_EVENT_NAMES]),
});
export type WebhookCreate = z.infer<typeof WebhookCreate>;
export const WebhookParams = z.object({ id: IdOf("whk") });
export const WebhookView = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  active: z.boolean(),
  createdAt: z.string(),
  deliveries: z.array(z.object({ id: z.string(), event: z.string(), status: z.string(), attempts: z.number(), lastStatus: z.number().nullable(), lastError: z.string().nullable(), createdAt: z.string(), deliveredAt: z.string().nullable() })),
});
export type WebhookView = z.infer<typeof WebhookView>;
