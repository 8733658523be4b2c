import { jobsDb } from "@/lib/db";
import type { Job } from "@/lib/jobs/schedule";
import { writeMissingReceipts } from "@/lib/receipts/receipt";

/** Writes the receipt of every lease that ended without one yet. */
export const receipts: Job = { name: "receipts", everyMs: 3_000, run: () => writeMissingReceipts(jobsDb()) };
