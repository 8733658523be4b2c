import { sealPending } from "@/lib/audit/seal";
import { CHECKPOINT_INTERVAL_MS, writeCheckpoint } from "@/lib/audit/verify";
import { jobsDb as db } from "@/lib/db";
import { expireEscalations } from "@/lib/escalations/expire";
import { expireLeases } from "@/lib/leases/lifecycle";
import { deliverDue } from "@/lib/webhooks/deliver";
import { writeMissingReceipts } from "@/lib/receipts/receipt";

let timers: NodeJS.Timeout[] = [];

function every(ms: number, name: string, job: () => Promise<unknown>) {
  let running = false;
  const t = setInterval(() => {
    if (running) return;
    running = true;
    job()
      .catch((err) => console.error(`[lanyard] ${name}:`, err instanceof Error ? err.message : err))
      .finally(() => (running = false));
  }, ms);
  t.unref();
  timers.push(t);
}

/** Background work of each instance; every job is safe to run on many instances at once. */
export function startSweeper(): void {
  if (timers.length) return;
  every(5_000, "lease expiry", () => expireLeases(db()));
  every(2_000, "escalation expiry", () => expireEscalations(db()));
  every(1_000, "webhook delivery", () => deliverDue(db()));
  // The chain trails the log by about a second (the issue allows 2 s); a signed checkpoint each minute.
  every(1_000, "audit sealing", () => sealPending(db()));
  every(CHECKPOINT_INTERVAL_MS, "audit checkpoint", () => writeCheckpoint(db()));
  every(3_000, "receipts", () => writeMissingReceipts(db()));
}

export function stopSweeper(): void {
  for (const t of timers) clearInterval(t);
  timers = [];
}
