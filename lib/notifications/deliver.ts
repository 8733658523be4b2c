import { Prisma } from "@/lib/generated/prisma/client";
import { appendAudit } from "@/lib/audit/append";
import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";
import type { Grant } from "@/lib/leases/schemas";
import { mailConfig, publicUrl, sendMail, type MailConfig } from "@/lib/notifications/mailer";
import { assignedMail, digestMail, type MailEscalation } from "@/lib/notifications/render";
import { DECIDING_ROLES } from "@/lib/routing/route";
import { toolCatalog } from "@/lib/tools/catalog";
import { riskOf } from "@/lib/tools/risk";

export const MAX_ATTEMPTS = 6;
/** Backoff before attempt n+1: 15 s, 30 s, 1, 2, 4 min: an approval window is 15 to 60 minutes. */
export const backoffMs = (attempts: number) => Math.min(15_000 * 2 ** (attempts - 1), 600_000);
const CLAIM_MS = 60_000;
const UNSENT_TTL_MS = 3_600_000;

/** userIds: only these recipients' mails (a test's, or an operator re-sending to someone). */
export type DeliverOptions = { mail?: MailConfig | null; baseUrl?: string; limit?: number; userIds?: string[] };

/** The escalations a mail is about, as it shows them (pending ones only: a decided request needs nobody). */
export async function mailEscalations(db: Db, ids: string[]): Promise<MailEscalation[]> {
  const rows = await db.escalation.findMany({
    where: { id: { in: ids }, status: "pending" },
    include: { agent: { select: { name: true } }, lease: { select: { purpose: true, environment: true, grants: true, delegator: { select: { email: true } } } } },
    orderBy: { expiresAt: "asc" },
  });
  const catalog = await toolCatalog(db);
  const riskOfTool = (t: string) => catalog.get(t)?.risk ?? "critical";
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    tool: r.tool,
    resource: r.resource,
    arguments: r.arguments,
    justification: r.justification,
    requiredApprovals: r.requiredApprovals,
    expiresAt: r.expiresAt,
    risk: r.tool ? riskOfTool(r.tool) : (r.lease.grants as Grant[]).map((g) => riskOfTool(g.tool)).reduce((w, x) => (riskOf(x) > riskOf(w) ? x : w), "low"),
    agentName: r.agent.name,
    purpose: r.lease.purpose,
    environment: r.lease.environment,
    delegator: r.lease.delegator?.email ?? null,
  }));
}

/**
 * Sends the notification mails that are due, after the transactions that queued them committed. Each is
 * claimed with one conditional statement (FOR UPDATE SKIP LOCKED: instances share the work), sent with no
 * transaction held, then recorded with its audit event (notification.sent, or notification.failed once
 * retries are spent). A mail whose requests were all decided meanwhile is dropped unsent ("skipped").
 * Without LANYARD_SMTP_URL nothing is sent: rows wait an hour for a configured server (another instance,
 * a restart), then are dropped as "skipped" so that the outbox does not grow without end.
 */
export async function sendDueNotifications(db: Db, opts: DeliverOptions = {}): Promise<number> {
  const mail = opts.mail === undefined ? mailConfig() : opts.mail;
  if (!mail) {
    await db.notification.updateMany({ where: { status: "pending", createdAt: { lt: new Date(now().getTime() - UNSENT_TTL_MS) } }, data: { status: "skipped", lastError: "mail is not configured" } });
    return 0;
  }
  const base = opts.baseUrl ?? publicUrl();
  const only = opts.userIds ?? null;
  let sent = 0;
  for (let i = 0; i < (opts.limit ?? 20); i++) {
    const at = now();
    const [n] = await db.$queryRaw<{ id: string; kind: string; userId: string; email: string; escalationIds: string[]; attempts: number }[]>(Prisma.sql`
      WITH due AS (
        SELECT "id" FROM "notifications" WHERE "status" = 'pending' AND "nextAttemptAt" <= ${at} AND (${only === null} OR "userId" = ANY(${only ?? []}::text[]))
        ORDER BY "nextAttemptAt" LIMIT 1 FOR UPDATE SKIP LOCKED
      )
      UPDATE "notifications" n SET "nextAttemptAt" = ${new Date(at.getTime() + CLAIM_MS)} FROM due WHERE n."id" = due."id"
      RETURNING n."id", n."kind", n."userId", n."email", n."escalationIds", n."attempts"`);
    if (!n) break;
    // The recipient as they are now, not as queued (retries run for minutes, an unconfigured outbox an
    // hour): a person disabled or no longer an approver since gets nothing, a changed address the new one.
    const to = await db.user.findUnique({ where: { id: n.userId }, select: { email: true, status: true, role: true } });
    const recipient = to?.email && to.status === "active" && (DECIDING_ROLES as string[]).includes(to.role) ? to.email : null;
    const items = recipient ? await mailEscalations(db, n.escalationIds) : [];
    if (!recipient || !items.length) {
      await db.notification.update({ where: { id: n.id }, data: { status: "skipped", ...(recipient ? {} : { lastError: "recipient is no longer an active approver" }) } });
      continue;
    }
    const message = n.kind === "expiry_digest" ? digestMail(items, base, now()) : assignedMail(items[0]!, base, now());
    let error: string | null = null;
    try {
      await sendMail({ to: recipient, ...message }, mail);
    } catch (err) {
      error = err instanceof Error ? err.message : "send failed";
    }
    const attempts = n.attempts + 1;
    const gaveUp = error !== null && attempts >= MAX_ATTEMPTS;
    await db.$transaction(async (tx) => {
      await tx.notification.update({
        where: { id: n.id },
        data: error === null ? { status: "sent", attempts, lastError: null, sentAt: now() } : { status: gaveUp ? "failed" : "pending", attempts, lastError: error.slice(0, 500), nextAttemptAt: new Date(now().getTime() + backoffMs(attempts)) },
      });
      if (error === null || gaveUp) {
        // The audit names the recipient and the requests, never the mail's body or the server.
        await appendAudit(tx, {
          action: error === null ? "notification.sent" : "notification.failed",
          actor: { type: "system", label: "notifications" },
          subject: { type: "notification", id: n.id },
          escalationId: items.length === 1 ? items[0]!.id : null,
          outcome: error === null ? "sent" : "failed",
          payload: { kind: n.kind, userId: n.userId, to: recipient, escalationIds: items.map((e) => e.id), attempts, ...(error ? { error } : {}) },
        });
      }
    });
    if (error === null) sent++;
  }
  return sent;
}
