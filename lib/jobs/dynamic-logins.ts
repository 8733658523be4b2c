import { jobsDb } from "@/lib/db";
import { dropEndedDynamicLogins } from "@/lib/credentials/postgres-dynamic";
import type { Job } from "@/lib/jobs/schedule";

/** Drops the PostgreSQL login roles of leases that ended for any reason or ran out of time (row-locked: safe on many instances). */
export const dynamicLogins: Job = { name: "dynamic logins", everyMs: 5_000, run: () => dropEndedDynamicLogins(jobsDb()) };
