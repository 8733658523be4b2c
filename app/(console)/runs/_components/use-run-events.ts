"use client";
import { useEffect, useRef, useState } from "react";
import type { AuditEventView } from "@/lib/audit/schemas";

export const RUN_EVENT_TYPES = ["lease.issued", "lease.delegated", "decision", "decision.outcome", "escalation.created", "escalation.voted", "escalation.decided", "lease.revoked", "lease.ended"] as const;
export type RunEventType = (typeof RUN_EVENT_TYPES)[number];
export type RunEvent = { type: RunEventType; data: AuditEventView };
export type StreamState = "connecting" | "live" | "reconnecting" | "offline";

/** Audit seqs are bigint strings: shorter is smaller, then lexical. */
const bySeq = (a: RunEvent, b: RunEvent) => a.data.seq.length - b.data.seq.length || (a.data.seq < b.data.seq ? -1 : a.data.seq > b.data.seq ? 1 : 0);

/**
 * The run's events (and its subagents'), in audit order, from the SSE endpoint. The browser resumes
 * a dropped stream with Last-Event-ID on its own; events are keyed by seq, so a replay never doubles
 * a row. Arrivals are batched per frame: the first connection may replay a long backlog. The server
 * follows subagent runs started while the stream is open.
 */
export function useRunEvents(runId: string, onEvents?: (events: RunEvent[]) => void): { events: RunEvent[]; state: StreamState } {
  const [events, setEvents] = useState<RunEvent[]>([]);
  const [state, setState] = useState<StreamState>("connecting");
  const callback = useRef(onEvents);
  useEffect(() => {
    callback.current = onEvents;
  }, [onEvents]);

  useEffect(() => {
    const seen = new Set<string>();
    let buffer: RunEvent[] = [];
    let timer: ReturnType<typeof setTimeout> | null = null;
    const flush = () => {
      timer = null;
      const batch = buffer;
      buffer = [];
      if (!batch.length) return;
      setEvents((prev) => {
        const have = new Set(prev.map((e) => e.data.seq));
        return [...prev, ...batch.filter((e) => !have.has(e.data.seq))].sort(bySeq);
      });
      callback.current?.(batch);
    };
    const source = new EventSource(`/api/v1/runs/${encodeURIComponent(runId)}/events`);
    const onMessage = (m: MessageEvent<string>) => {
      let data: AuditEventView;
      try {
        data = JSON.parse(m.data) as AuditEventView;
      } catch {
        return;
      }
      if (seen.has(data.seq)) return;
      seen.add(data.seq);
      buffer.push({ type: m.type as RunEventType, data });
      timer ??= setTimeout(flush, 16);
    };
    for (const t of RUN_EVENT_TYPES) source.addEventListener(t, onMessage);
    source.onopen = () => setState("live");
    // CLOSED: the server refused the stream (the session ended, the run is gone).
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? "offline" : "reconnecting");
    return () => {
      source.close();
      if (timer) clearTimeout(timer);
    };
  }, [runId]);

  return { events, state };
}
