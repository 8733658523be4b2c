import { sealPending } from "@/lib/audit/seal";
import { jobsDb } from "@/lib/db";
import type { Job } from "@/lib/jobs/schedule";

/** Hash-chains new audit events: the chain trails the log by about a second (one instance at a time, by advisory lock). */
export const auditSealing: Job = { name: "audit sealing", everyMs: 1_000, run: () => sealPending(jobsDb()) };
