import pg from "pg";
import { Prisma } from "@/lib/generated/prisma/client";
import type { Tx } from "@/lib/db";
import { env } from "@/lib/env";

/** What crosses app instances: small pointers, the reader fetches the rest. */
export type LanyardEvent =
  | { type: "escalation.created" | "escalation.decided" | "escalation.voted"; escalationId: string; leaseId: string; runId: string; status: string }
  | { type: "run.event"; runId: string; seq: string; action: string };

export const CHANNEL = "lanyard_events";

/**
 * Announce an event from inside a transaction: PostgreSQL delivers the NOTIFY only if, and when, the
 * transaction commits, to every instance listening, so no one hears of a change that did not happen.
 */
export async function publish(tx: Tx, event: LanyardEvent): Promise<void> {
  await tx.$executeRaw(Prisma.sql`SELECT pg_notify(${CHANNEL}, ${JSON.stringify(event)})`);
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
