// Background work of each app instance: the lease expiry sweeper. Safe with many instances (conditional updates).
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.LANYARD_SWEEPER === "0") return;
  const { startSweeper } = await import("@/lib/sweeper");
  startSweeper();
}
