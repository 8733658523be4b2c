import pg from "pg";
import { Prisma } from "@/lib/generated/prisma/client";
import type { Tx } from "@/lib/db";
import { env } from "@/lib/env";

/** What crosses app instances: small pointers, the reader fetches the rest. */
export type LanyardEvent =
  | { type: "escalation.created" | "escalation.decided" | "escalation.voted"; escalationId: string; leaseId: string; runId: string; status: string }
  | { type: "run.event"; runIds: string[] }
  | { type: "signing_keys.changed" }
  // Caches of the hot path (server/) that other instances drop at once.
  | { type: "tools.changed" }
  | { type: "enforcement_points.changed" }
  // A policy version was published (lib/policy/current.ts drops its compiled set).
  | { type: "policy.changed"; version: number };

export const CHANNEL = "lanyard_events";

/**
 * Announce an event from inside a transaction: PostgreSQL delivers the NOTIFY only if, and when, the
 * transaction commits, to every instance listening, so no one hears of a change that did not happen.
 */
export async function publish(tx: Tx, event: LanyardEvent): Promise<void> {
  for (const payload of payloads(event)) await tx.$executeRaw(Prisma.sql`SELECT pg_notify(${CHANNEL}, ${payload})`);
}

/** Run ids per notification: a NOTIFY payload is limited to 8000 bytes (ids are ~24). */
const RUNS_PER_NOTIFY = 200;

/**
 * An event as NOTIFY payloads, each within PostgreSQL's 8000-byte limit: a run event naming many runs
 * (leases expiring together after downtime) is sent in slices, instead of failing its transaction.
 */
export function payloads(event: LanyardEvent): string[] {
  if (event.type !== "run.event" || event.runIds.length <= RUNS_PER_NOTIFY) return [JSON.stringify(event)];
  const out: string[] = [];
  for (let i = 0; i < event.runIds.length; i += RUNS_PER_NOTIFY) out.push(JSON.stringify({ type: "run.event", runIds: event.runIds.slice(i, i + RUNS_PER_NOTIFY) } satisfies LanyardEvent));
  return out;
}

// Decisions announce their runs after commit, not inside the transaction: a NOTIFY inside a
// transaction takes a database-wide lock at commit that would serialise every decision's commit.
// Announcements are batched per instance (one notify-only statement per ANNOUNCE_MS), off the hot path;
// a lost one is caught by subscribers' periodic re-check.
const ANNOUNCE_MS = 25;
const pendingRuns = new Set<string>();
let announceTimer: NodeJS.Timeout | undefined;

export function announceRuns(db: { $executeRaw: Tx["$executeRaw"] }, runIds: (string | null | undefined)[]): void {
  for (const id of runIds) if (id) pendingRuns.add(id);
  if (announceTimer || pendingRuns.size === 0) return;
  announceTimer = setTimeout(() => {
    announceTimer = undefined;
    const ids = [...pendingRuns];
    pendingRuns.clear();
    // On this instance's listening connection when it has one (a plain pg query: through Prisma, these
    // 40 a second were ~4% of the decision server's CPU under load), else through db.
    const listening = client;
    for (const payload of payloads({ type: "run.event", runIds: ids })) {
      (listening ? listening.query("SELECT pg_notify($1, $2)", [CHANNEL, payload]) : db.$executeRaw(Prisma.sql`SELECT pg_notify(${CHANNEL}, ${payload})`)).catch(() => {});
    }
  }, ANNOUNCE_MS);
  announceTimer.unref();
}

type Listener = (e: LanyardEvent) => void;
const listeners = new Set<Listener>();
let client: pg.Client | undefined;
let connecting: Promise<void> | undefined;

async function connect(): Promise<void> {
  const c = new pg.Client({ connectionString: env().DATABASE_URL, connectionTimeoutMillis: 5_000 });
  const drop = () => {
    if (client === c) client = undefined;
    c.removeAllListeners();
    c.end().catch(() => {});
    // Listeners stay registered; the next subscribe (or the retry below) reconnects.
    if (listeners.size) setTimeout(() => void ensureListening().catch(() => {}), 1_000).unref();
  };
  c.on("error", drop);
  c.on("end", drop);
  c.on("notification", (msg) => {
    if (msg.channel !== CHANNEL || !msg.payload) return;
    let event: LanyardEvent;
    try {
      event = JSON.parse(msg.payload) as LanyardEvent;
    } catch {
      return;
    }
    for (const l of listeners) l(event);
  });
  await c.connect();
  await c.query(`LISTEN ${CHANNEL}`);
  client = c;
}

/** Resolves once this instance listens on the channel (one connection per instance, shared by all waiters). */
export function ensureListening(): Promise<void> {
  if (client) return Promise.resolve();
  connecting ??= connect().finally(() => (connecting = undefined));
  return connecting;
}

export async function subscribe(listener: Listener): Promise<() => void> {
  listeners.add(listener);
  await ensureListening();
  return () => listeners.delete(listener);
}

/** How many waiters this instance has subscribed: a test polls it to know a long-poll is parked. */
export function listenerCount(): number {
  return listeners.size;
}

/** Tests and shutdown: close the listening connection. */
export async function stopListening(): Promise<void> {
  listeners.clear();
  const c = client;
  client = undefined;
  if (c) {
    c.removeAllListeners();
    await c.end().catch(() => {});
  }
}
