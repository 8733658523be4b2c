import { jobsDb } from "@/lib/db";
import type { Job } from "@/lib/jobs/schedule";
import { sendReviewReminders } from "@/lib/review/reminders";

/** Mails each agent owner their access review when it is due (LANYARD_REVIEW_REMINDER_DAYS); hourly is plenty for a monthly mail. */
export const reviewReminders: Job = { name: "review reminders", everyMs: 3_600_000, run: () => sendReviewReminders(jobsDb()) };
