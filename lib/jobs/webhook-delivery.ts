import { jobsDb } from "@/lib/db";
import type { Job } from "@/lib/jobs/schedule";
import { deliverDue } from "@/lib/webhooks/deliver";

/** Sends the webhook deliveries that are due (first attempts and retries after their backoff). */
export const webhookDelivery: Job = { name: "webhook delivery", everyMs: 1_000, run: () => deliverDue(jobsDb()) };
