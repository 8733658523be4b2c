/** One background job: what it is called in logs, how often it runs, and the domain function it calls. */
export type Job = { name: string; everyMs: number; run: () => Promise<unknown> };

/**
 * Runs each job every `everyMs` until the returned function is called. A job still running when its
 * next turn comes skips that turn (a slow sweep never piles up); a failure is logged and the job runs
 * again at its next turn. Timers are unref'd: they never keep a process alive.
 */
export function startJobs(jobs: readonly Job[], onError: (job: Job, err: unknown) => void = logError): () => void {
  const timers = jobs.map((job) => {
    let running = false;
    const t = setInterval(() => {
      if (running) return;
      running = true;
      job
        .run()
        .catch((err: unknown) => onError(job, err))
        .finally(() => (running = false));
    }, job.everyMs);
    t.unref();
    return t;
  });
  return () => {
    for (const t of timers) clearInterval(t);
  };
}

function logError(job: Job, err: unknown): void {
  console.error(`[lanyard] ${job.name}:`, err instanceof Error ? err.message : err);
}
