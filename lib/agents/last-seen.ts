import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";

/** How often one process writes an agent's lastSeenAt: enough for dormancy flags (days), cheap on the hot path. */
export const LAST_SEEN_EVERY_MS = 60_000;
const MAX_TRACKED = 10_000;
const written = new Map<string, number>();

/**
 * Notes that an agent made a call (a decision on its valid lease token): sets agents.lastSeenAt at most
 * once a minute per agent per process. Best effort and outside the decision: it never waits for the
 * write, and a failed write is dropped (the next call after the minute tries again), so it can never
 * turn a decision into an error or slow it. Plain SQL, so the agent's updatedAt (a config change)
 * stays as it was; the condition keeps a slower instance from moving the time back.
 */
export function noteAgentSeen(db: Db, agentId: string, at: Date = now()): Promise<void> {
  const last = written.get(agentId);
  if (last !== undefined && at.getTime() - last < LAST_SEEN_EVERY_MS && at.getTime() >= last) return Promise.resolve();
  written.delete(agentId);
  if (written.size >= MAX_TRACKED) written.delete(written.keys().next().value!);
  written.set(agentId, at.getTime());
  return db.$executeRaw`UPDATE "agents" SET "lastSeenAt" = ${at} WHERE "id" = ${agentId} AND ("lastSeenAt" IS NULL OR "lastSeenAt" < ${at})`.then(
    () => undefined,
    (err: unknown) => console.warn(`[lanyard] lastSeenAt of ${agentId} not written: ${err instanceof Error ? err.message : String(err)}`),
  );
}
