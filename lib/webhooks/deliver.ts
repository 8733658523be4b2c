import { createHmac } from "node:crypto";
import { Prisma } from "@/lib/generated/prisma/client";
import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";
import { env } from "@/lib/env";
import { resolveWebhookTarget, webhookUrlProblem, WebhookTargetRefused } from "@/lib/webhooks/address";
import { ensureWebhookSecretsEncrypted, unwrapSecret } from "@/lib/webhooks/secret";
import { postPinned } from "@/lib/webhooks/send";

export const MAX_ATTEMPTS = 8;
const TIMEOUT_MS = 5_000;

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as Stripe-style receivers expect. */
export function signature(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** Backoff before attempt n+1: 30 s, 1, 2, 4, 8, 16, 32 min — a receiver may be down for about an hour. */
export const backoffMs = (attempts: number) => Math.min(30_000 * 2 ** (attempts - 1), 3_600_000);

const CLAIM_MS = 30_000;

/**
 * Sends due deliveries. Each is claimed by pushing its next attempt 30 s ahead in one conditional
 * statement (FOR UPDATE SKIP LOCKED), then sent with no transaction or connection held, then recorded.
 * Several instances share the work; a process that dies mid-send leaves a claim that lapses and is
 * retried, so delivery is at least once and receivers dedupe on x-lanyard-delivery. The URL's host is
 * resolved and refused if internal (unless allowed by name), and the connection is pinned to the
 * address checked; the secret is read (encrypted) here only.
 */
export async function deliverDue(db: Db, limit = 20): Promise<number> {
  await ensureWebhookSecretsEncrypted(db);
  const allowed = new Set(env().LANYARD_WEBHOOK_ALLOWED_HOSTS);
  let sent = 0;
  for (let i = 0; i < limit; i++) {
    const at = now();
    const [d] = await db.$queryRaw<{ id: string; webhookId: string; event: string; payload: unknown; attempts: number; url: string; secret: unknown }[]>(Prisma.sql`
      WITH due AS (
        SELECT d."id" FROM "webhook_deliveries" d JOIN "webhooks" w ON w."id" = d."webhookId"
        WHERE d."status" = 'pending' AND d."nextAttemptAt" <= ${at} AND w."active"
        ORDER BY d."nextAttemptAt" LIMIT 1 FOR UPDATE OF d SKIP LOCKED
      )
      UPDATE "webhook_deliveries" d SET "nextAttemptAt" = ${new Date(at.getTime() + CLAIM_MS)}
      FROM due, "webhooks" w WHERE d."id" = due."id" AND w."id" = d."webhookId"
      RETURNING d."id", d."webhookId", d."event", d."payload", d."attempts", w."url", w."secret"`);
    if (!d) break;
    const body = JSON.stringify({ id: d.id, ...(d.payload as object) });
    const t = Math.floor(now().getTime() / 1000);
    let status: number | null = null;
    let error: string | null = null;
    try {
      // Stored before the creation check existed, or edited in the database: the same rule as creation.
      const problem = webhookUrlProblem(d.url, allowed);
      if (problem) throw new WebhookTargetRefused(`refused: url ${problem}`);
      const url = new URL(d.url);
      const pinned = await resolveWebhookTarget(url, allowed);
      const headers = { "content-type": "application/json", "user-agent": "Lanyard-Webhooks/1", "x-lanyard-event": d.event, "x-lanyard-delivery": d.id, "x-lanyard-signature": signature(unwrapSecret(d.secret, d.webhookId), t, body) };
      status = await postPinned(url, pinned, body, headers, TIMEOUT_MS);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const attempts = d.attempts + 1;
    const ok = status !== null && status >= 200 && status < 300;
    await db.webhookDelivery.update({
      where: { id: d.id },
      data: ok
        ? { status: "delivered", attempts, lastStatus: status, lastError: null, deliveredAt: now() }
        : { status: attempts >= MAX_ATTEMPTS ? "failed" : "pending", attempts, lastStatus: status, lastError: (error ?? `HTTP ${status}`).slice(0, 500), nextAttemptAt: new Date(now().getTime() + backoffMs(attempts)) },
    });
    if (ok) sent++;
  }
  return sent;
}
