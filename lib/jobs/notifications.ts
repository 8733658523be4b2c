import { jobsDb } from "@/lib/db";
import type { Job } from "@/lib/jobs/schedule";
import { sendDueNotifications } from "@/lib/notifications/deliver";

/** Sends the queued notification mails (new assigned requests, digests) and their retries, every second. */
export const notificationDelivery: Job = { name: "notification delivery", everyMs: 1_000, run: () => sendDueNotifications(jobsDb()) };
