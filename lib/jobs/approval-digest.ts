import { jobsDb } from "@/lib/db";
import type { Job } from "@/lib/jobs/schedule";
import { queueExpiryDigests } from "@/lib/notifications/digest";

/** Queues a digest per approver of the requests about to expire unanswered; the delivery job sends it. */
export const approvalDigest: Job = { name: "approval digest", everyMs: 30_000, run: () => queueExpiryDigests(jobsDb()) };
