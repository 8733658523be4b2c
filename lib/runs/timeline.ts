import { Prisma } from "@/lib/generated/prisma/client";
import { notFound } from "@/lib/errors";
import { CHAINED_COLUMNS, type ChainedEvent } from "@/lib/audit/chain";
import { toAuditView } from "@/lib/audit/explore";
import type { Db } from "@/lib/db";
import { subscribe } from "@/lib/events/bus";
import type { SseMessage } from "@/lib/events/sse";

/** Audit actions that make up a run's timeline, and the SSE event type each is sent as. */
export const TIMELINE_EVENTS: Record<string, string> = {
  "lease.issued": "lease.issued",
  "lease.requested": "lease.issued",
  "lease.approved": "lease.issued",
  "lease.delegated": "lease.delegated",
  decision: "decision",
  "decision.outcome": "decision.outcome",
  "escalation.created": "escalation.created",
  // Every vote (who, verdict, reason): a two-approver step-up names both, not only the one that settled it.
  "escalation.voted": "escalation.voted",
  "escalation.decided": "escalation.decided",
  "escalation.consumed": "escalation.decided",
  "lease.revoked": "lease.revoked",
  "lease.ended": "lease.ended",
  "lease.grant_added": "lease.issued",
  "lease.extended": "lease.issued",
};
const ACTIONS = Object.keys(TIMELINE_EVENTS);
const BACKLOG_LIMIT = 2_000;
const RECHECK_MS = 2_000;

/** The run and every run below it (subagents), so a parent's timeline shows its subagents nested in. */
export async function runFamily(db: Db, runId: string): Promise<string[]> {
  const rows = await db.$queryRaw<{ id: string }[]>(Prisma.sql`
    WITH RECURSIVE family AS (
      SELECT "id" FROM "runs" WHERE "id" = ${runId}
      UNION ALL SELECT r."id" FROM "runs" r JOIN family f ON r."parentRunId" = f."id"
    ) SELECT "id" FROM family`);
  return rows.map((r) => r.id);
}

export async function timelineSince(db: Db, runIds: string[], afterSeq: bigint, limit = BACKLOG_LIMIT): Promise<ChainedEvent[]> {
  return db.$queryRaw<ChainedEvent[]>(Prisma.sql`
    SELECT ${Prisma.raw(CHAINED_COLUMNS)} FROM "audit_events"
    WHERE "runId" = ANY(${runIds}::text[]) AND "seq" > ${afterSeq} AND "action" = ANY(${ACTIONS}::text[])
    ORDER BY "seq" ASC LIMIT ${limit}`);
}

const toMessage = (e: ChainedEvent): SseMessage => ({ id: e.seq.toString(), event: TIMELINE_EVENTS[e.action] ?? e.action, data: toAuditView(e) });

/**
 * Feeds one SSE client: first every event after `lastEventId` (a reconnecting client resumes with no
 * gap, ids are audit seqs), then new events as they commit, woken by the bus (any instance) with a
 * periodic re-check underneath. Returns the cleanup.
 */
/** 404 (in the error shape) before a stream opens, rather than an error event inside it. */
export async function requireRun(db: Db, runId: string): Promise<void> {
  if (!(await db.run.findUnique({ where: { id: runId }, select: { id: true } }))) throw notFound(`run ${runId}`);
}

/** The caller has checked the run exists (requireRun). */
export async function followRun(db: Db, runId: string, lastEventId: string | null, send: (m: SseMessage) => void): Promise<() => void> {
  let family = await runFamily(db, runId);
  let after = lastEventId && /^\d{1,19}$/.test(lastEventId) ? BigInt(lastEventId) : 0n;
  let running: Promise<void> | null = null;
  let again = false;
  let closed = false;
  const pump = async () => {
    do {
      again = false;
      for (;;) {
        const events = await timelineSince(db, family, after);
        for (const e of events) {
          if (closed) return;
          send(toMessage(e));
          after = e.seq;
          if (e.action === "lease.delegated") family = await runFamily(db, runId);
        }
        if (events.length < BACKLOG_LIMIT) break;
      }
    } while (again && !closed);
  };
  const kick = () => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = pump()
      .catch(() => {})
      .finally(() => (running = null));
  };
  const unsubscribe = await subscribe((e) => {
    if (e.type === "signing_keys.changed" || e.type === "tools.changed" || e.type === "enforcement_points.changed" || e.type === "policy.changed") return;
    if (e.type !== "run.event") {
      if (family.includes(e.runId)) kick();
      return;
    }
    if (!e.runIds.some((id) => family.includes(id))) return;
    // A delegation announces the parent's run and the new child's together: follow the child from now on.
    if (e.runIds.some((id) => !family.includes(id))) {
      void runFamily(db, runId).then((f) => {
        family = f;
        kick();
      }, () => kick());
    } else kick();
  });
  const timer = setInterval(kick, RECHECK_MS);
  timer.unref();
  kick();
  return () => {
    closed = true;
    clearInterval(timer);
    unsubscribe();
  };
}
