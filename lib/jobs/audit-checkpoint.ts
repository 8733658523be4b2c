import { CHECKPOINT_INTERVAL_MS, writeCheckpoint } from "@/lib/audit/checkpoints";
import { jobsDb } from "@/lib/db";
import type { Job } from "@/lib/jobs/schedule";

/** Signs the head of the audit chain (a checkpoint) once per interval. */
export const auditCheckpoint: Job = { name: "audit checkpoint", everyMs: CHECKPOINT_INTERVAL_MS, run: () => writeCheckpoint(jobsDb()) };
