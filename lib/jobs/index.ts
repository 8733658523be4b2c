// Background work of each app instance, one job per file beside this one; every job is safe to run on
// many instances at once. The domain functions they call stay in their domains.
import { approvalDigest } from "@/lib/jobs/approval-digest";
import { auditCheckpoint } from "@/lib/jobs/audit-checkpoint";
import { auditSealing } from "@/lib/jobs/audit-sealing";
import { dynamicLogins } from "@/lib/jobs/dynamic-logins";
import { escalationExpiry } from "@/lib/jobs/escalation-expiry";
import { leaseExpiry } from "@/lib/jobs/lease-expiry";
import { notificationDelivery } from "@/lib/jobs/notifications";
import { receipts } from "@/lib/jobs/receipts";
import { reviewReminders } from "@/lib/jobs/review-reminders";
import { startJobs, type Job } from "@/lib/jobs/schedule";
import { webhookDelivery } from "@/lib/jobs/webhook-delivery";

export const JOBS: readonly Job[] = [leaseExpiry, escalationExpiry, webhookDelivery, auditSealing, auditCheckpoint, receipts, dynamicLogins, notificationDelivery, approvalDigest, reviewReminders];

let stop: (() => void) | undefined;

/** Starts this instance's background jobs (once, however often it is called). */
export function startBackgroundJobs(): void {
  stop ??= startJobs(JOBS);
}

export function stopBackgroundJobs(): void {
  stop?.();
  stop = undefined;
}
