import { jobsDb } from "@/lib/db";
import { expireEscalations } from "@/lib/escalations/expire";
import type { Job } from "@/lib/jobs/schedule";

/** Escalations nobody answered in their window expire (conditional updates: safe on many instances at once). */
export const escalationExpiry: Job = { name: "escalation expiry", everyMs: 2_000, run: () => expireEscalations(jobsDb()) };
