import { jobsDb } from "@/lib/db";
import type { Job } from "@/lib/jobs/schedule";
import { expireLeases } from "@/lib/leases/lifecycle";

/** Leases past their time end as expired (conditional updates: safe on many instances at once). */
export const leaseExpiry: Job = { name: "lease expiry", everyMs: 5_000, run: () => expireLeases(jobsDb()) };
