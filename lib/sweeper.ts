import { db } from "@/lib/db";
import { expireLeases } from "@/lib/leases/lifecycle";

const EVERY_MS = 5_000;
let timer: NodeJS.Timeout | undefined;

export function startSweeper(): void {
  if (timer) return;
  timer = setInterval(() => {
    expireLeases(db()).catch((err) => console.error("[lanyard] sweeper:", err instanceof Error ? err.message : err));
  }, EVERY_MS);
  timer.unref();
}
