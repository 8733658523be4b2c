import { AppError, notFound } from "@/lib/errors";
import type { Caller } from "@/lib/auth/caller";
import type { Db } from "@/lib/db";
import { subscribe } from "@/lib/events/bus";
import { escalationInclude, toEscalationView } from "@/lib/escalations/view";
import type { EscalationView } from "@/lib/escalations/schemas";

// A safety net under LISTEN/NOTIFY: if a notification is ever lost (listener reconnecting), a waiter
// still sees the change within this interval.
const RECHECK_MS = 2_000;

async function load(db: Db, caller: Caller, id: string): Promise<EscalationView> {
  const e = await db.escalation.findUnique({ where: { id }, include: escalationInclude });
  // An enforcement point reads only the escalations it raised; anything else is not found, not forbidden.
  if (!e || (caller.kind === "enforcement_point" && e.enforcementPointId !== caller.id)) throw notFound(`escalation ${id}`);
  return toEscalationView(e);
}

/**
 * GET /api/v1/escalations/{id}?waitSeconds=N: long-poll. Returns at once unless the escalation is
 * pending; otherwise as soon as its status changes (woken through PostgreSQL LISTEN/NOTIFY, so a vote
 * on any instance wakes waiters on every instance) or when the wait ends.
 */
export async function getEscalation(db: Db, caller: Caller, id: string, waitSeconds: number, signal?: AbortSignal): Promise<{ escalation: EscalationView }> {
  const first = await load(db, caller, id);
  if (waitSeconds === 0 || first.status !== "pending") return { escalation: first };
  let wake: () => void = () => {};
  const changed = new Promise<void>((resolve) => (wake = resolve));
  const unsubscribe = await subscribe((e) => {
    if (e.type === "escalation.decided" && e.escalationId === id) wake();
  }).catch((err: unknown) => {
    throw new AppError("store_unavailable", `cannot listen for changes: ${err instanceof Error ? err.message : String(err)}`);
  });
  const deadline = Date.now() + waitSeconds * 1000;
  try {
    // Re-read after subscribing: a change that landed in between is not missed.
    let current = await load(db, caller, id);
    while (current.status === "pending" && Date.now() < deadline && !signal?.aborted) {
      const tick = new Promise<void>((r) => setTimeout(r, Math.min(RECHECK_MS, Math.max(0, deadline - Date.now()))).unref());
      await Promise.race([changed, tick]);
      current = await load(db, caller, id);
    }
    return { escalation: current };
  } finally {
    unsubscribe();
  }
}
