import type { Prisma } from "@/lib/generated/prisma/client";
import type { Tx } from "@/lib/db";
import { newId } from "@/lib/ids";
import type { WEBHOOK_EVENT_NAMES } from "@/lib/webhooks/schemas";

export type WebhookEvent = (typeof WEBHOOK_EVENT_NAMES)[number];

/** The public address of the console, for links in notifications. */
export const consoleUrl = () => (process.env.NEXTAUTH_URL ?? "http://localhost:3000").replace(/\/$/, "");

/**
 * Queues one delivery per subscribed webhook in the caller's transaction (an outbox): a change that
 * rolls back announces nothing, and a committed one is delivered even if this process dies next.
 */
export async function enqueueWebhookEvent(tx: Tx, event: WebhookEvent, data: Record<string, unknown>): Promise<void> {
  const hooks = await tx.webhook.findMany({ where: { active: true, events: { has: event } }, select: { id: true } });
  if (!hooks.length) return;
  const link = typeof data.escalationId === "string" ? `${consoleUrl()}/approvals?escalation=${data.escalationId}` : consoleUrl();
  const payload = { event, data, link } as Prisma.InputJsonValue;
  await tx.webhookDelivery.createMany({ data: hooks.map((h) => ({ id: newId("dlv"), webhookId: h.id, event, payload })) });
}
