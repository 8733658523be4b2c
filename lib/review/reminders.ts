import { Prisma } from "@/lib/generated/prisma/client";
import { appendAudit } from "@/lib/audit/append";
import { can } from "@/lib/auth/permissions";
import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";
import { env } from "@/lib/env";
import { mailConfig, publicUrl, sendMail, type MailConfig } from "@/lib/notifications/mailer";
import { accessReview, unusedTools, type AgentReview } from "@/lib/review/queries";

const DAY_MS = 86_400_000;

/** The reminder's text: each agent, the ceiling tools unused for 90 and 30 days, live grants never used, and the link. No secret is in it. */
export function reminderText(name: string, reviews: AgentReview[], link: string, canAct = true): string {
  const lines = [`Hello ${name},`, "", `It is time to review the access of the agents you own (${reviews.length}).`, ""];
  for (const r of reviews) {
    const u90 = unusedTools(r, 90);
    const u30 = unusedTools(r, 30).filter((t) => !u90.includes(t));
    lines.push(`${r.name} (${r.status})`);
    lines.push(`  ceiling tools unused for 90 days: ${u90.length ? u90.join(", ") : "none"}`);
    if (u30.length) lines.push(`  unused for 30 days: ${u30.join(", ")}`);
    if (r.unusedGrants.length) lines.push(`  live lease grants never used: ${r.unusedGrants.map((g) => `${g.tool} (${g.leaseId})`).join(", ")}`);
    lines.push("");
  }
  // Only admins may change an agent: anyone else is told whom to ask, and linked to what they can open.
  lines.push(canAct ? `Shrink a ceiling or retire an agent in one step: ${link}` : `Ask an admin to shrink a ceiling or retire an agent (Agents → Access review). Your ${reviews.length === 1 ? "agent" : "agents"}: ${link}`);
  return lines.join("\n");
}

/**
 * The periodic access review reminder (issue 17): each active person who owns an agent that is not
 * retired gets one mail every `everyDays` (LANYARD_REVIEW_REMINDER_DAYS, monthly by default) listing
 * their agents' unused ceiling tools and grants, with a link to the review page. The last reminder is
 * the audit event `review.reminded` (so a restart never re-sends early); each owner is taken under a
 * transaction-scoped advisory lock, so instances running the job together send one mail. A mail the
 * server refuses is not recorded and is tried again at the next turn. Returns how many were sent.
 */
export async function sendReviewReminders(db: Db, o: { everyDays?: number; config?: MailConfig | null; ownerIds?: string[] } = {}): Promise<number> {
  const config = o.config === undefined ? mailConfig() : o.config;
  if (!config) return 0;
  const everyDays = o.everyDays ?? env().LANYARD_REVIEW_REMINDER_DAYS;
  const owners = await db.$queryRaw<{ id: string; email: string; name: string; role: string }[]>(Prisma.sql`
    SELECT DISTINCT u."id", u."email", u."name", u."role" FROM "agents" a JOIN "users" u ON u."id" = a."ownerId"
    WHERE a."status" <> 'retired' AND u."status" = 'active' ${o.ownerIds ? Prisma.sql`AND u."id" = ANY(${o.ownerIds}::text[])` : Prisma.empty} ORDER BY u."id"`);
  let sent = 0;
  for (const owner of owners) {
    const done = await db.$transaction(
      async (tx) => {
        const [lock] = await tx.$queryRaw<{ locked: boolean }[]>(Prisma.sql`SELECT pg_try_advisory_xact_lock(hashtext('lanyard.review-reminder'), hashtext(${owner.id})) AS "locked"`);
        if (!lock?.locked) return false;
        const at = now();
        const last = await tx.auditEvent.findFirst({ where: { action: "review.reminded", subjectType: "user", subjectId: owner.id }, orderBy: { seq: "desc" }, select: { at: true } });
        if (last && at.getTime() - last.at.getTime() < everyDays * DAY_MS) return false;
        const reviews = await accessReview(tx, { ownerId: owner.id });
        if (!reviews.length) return false;
        // The review page is admin-only (agents.manage); an owner without that role gets their agent's page.
        const canAct = can({ role: owner.role }, "agents.manage");
        const link = canAct ? `${publicUrl()}/agents/review` : `${publicUrl()}/agents${reviews.length === 1 ? `/${reviews[0]!.id}` : ""}`;
        await sendMail({ to: owner.email, subject: `Lanyard: review the access of your ${reviews.length === 1 ? "agent" : `${reviews.length} agents`}`, text: reminderText(owner.name, reviews, link, canAct) }, config);
        await appendAudit(tx, {
          action: "review.reminded",
          actor: { type: "system", label: "access review reminder" },
          subject: { type: "user", id: owner.id },
          payload: { to: owner.email, agents: reviews.map((r) => r.id), everyDays },
        });
        return true;
      },
      { timeout: 60_000 },
    );
    if (done) sent++;
  }
  return sent;
}
