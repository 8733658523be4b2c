// Background work of each app instance (lib/jobs/): expiry, webhook delivery, audit sealing and
// checkpoints, receipts. Safe with many instances (conditional updates, advisory locks).
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.LANYARD_SWEEPER === "0") return;
  const { startBackgroundJobs } = await import("@/lib/jobs");
  startBackgroundJobs();
}
