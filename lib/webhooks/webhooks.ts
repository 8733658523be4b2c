import { randomBytes } from "node:crypto";
import { AppError, notFound } from "@/lib/errors";
import { appendAudit } from "@/lib/audit/append";
import type { Actor } from "@/lib/auth/permissions";
import type { Db } from "@/lib/db";
import { env } from "@/lib/env";
import { newId } from "@/lib/ids";
import { webhookUrlProblem } from "@/lib/webhooks/address";
import type { WebhookCreate, WebhookView } from "@/lib/webhooks/schemas";
import { wrapSecret } from "@/lib/webhooks/secret";

type Row = { id: string; url: string; events: string[]; active: boolean; createdAt: Date; deliveries?: { id: string; event: string; status: string; attempts: number; lastStatus: number | null; lastError: string | null; createdAt: Date; deliveredAt: Date | null }[] };

const view = (w: Row): WebhookView => ({
  id: w.id,
  url: w.url,
  events: w.events,
  active: w.active,
  createdAt: w.createdAt.toISOString(),
  deliveries: (w.deliveries ?? []).map((d) => ({ ...d, createdAt: d.createdAt.toISOString(), deliveredAt: d.deliveredAt?.toISOString() ?? null })),
});

export async function listWebhooks(db: Db) {
  const rows = await db.webhook.findMany({ orderBy: { createdAt: "desc" }, include: { deliveries: { orderBy: { createdAt: "desc" }, take: 10, omit: { payload: true, webhookId: true, nextAttemptAt: true } } } });
  return rows.map(view);
}

/**
 * The signing secret is returned once (and stored encrypted); receivers verify `x-lanyard-signature`
 * with it. A URL aimed at an internal address is refused here, and again after DNS at delivery.
 */
export async function createWebhook(db: Db, actor: Actor, input: WebhookCreate) {
  const problem = webhookUrlProblem(input.url, new Set(env().LANYARD_WEBHOOK_ALLOWED_HOSTS));
  if (problem) throw new AppError("unprocessable", `url: ${problem}`, [{ path: ["url"], message: problem }]);
  const secret = `whsec_${randomBytes(32).toString("base64url")}`;
  const id = newId("whk");
  return db.$transaction(async (tx) => {
    const w = await tx.webhook.create({ data: { id, url: input.url, events: [...new Set(input.events)], secret: wrapSecret(secret, id), createdById: actor.id } });
    await appendAudit(tx, { action: "webhook.created", actor: { type: "user", id: actor.id, label: actor.email }, subject: { type: "webhook", id: w.id }, payload: { url: w.url, events: w.events } });
    return { webhook: view(w), secret };
  });
}

export async function deleteWebhook(db: Db, actor: Actor, id: string) {
  return db.$transaction(async (tx) => {
    const w = await tx.webhook.findUnique({ where: { id } });
    if (!w) throw notFound(`webhook ${id}`);
    await tx.webhook.delete({ where: { id } });
    await appendAudit(tx, { action: "webhook.deleted", actor: { type: "user", id: actor.id, label: actor.email }, subject: { type: "webhook", id }, payload: { url: w.url } });
    return { deleted: id };
  });
}
