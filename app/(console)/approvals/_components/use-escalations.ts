"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import type { QueueItem } from "./prompt-text";
import { apiFetch } from "@/lib/api/client";
import type { EscalationView } from "@/lib/escalations/schemas";

export const pendingKey = ["escalations", "pending"] as const;
export const escalationKey = (id: string) => ["escalations", "one", id] as const;

const byTimeLeft = (a: QueueItem, b: QueueItem) => new Date(a.expiresAt).getTime() - new Date(b.expiresAt).getTime();

/** The pending queue, soonest to expire first. The stream keeps it fresh; the interval is a fallback. */
export function usePendingQueue(initialData?: QueueItem[]) {
  return useQuery({
    queryKey: pendingKey,
    queryFn: () => apiFetch<{ escalations: QueueItem[] }>("/api/v1/escalations?status=pending&limit=200").then((r) => r.escalations),
    initialData,
    refetchInterval: 15_000,
    select: (items) => [...items].sort(byTimeLeft),
  });
}

/** One escalation's current state (for an item that has left the pending queue while it was open). */
export function useEscalation(id: string | null, enabled: boolean) {
  return useQuery({
    queryKey: escalationKey(id ?? ""),
    queryFn: () => apiFetch<{ escalation: EscalationView }>(`/api/v1/escalations/${id}`).then((r) => r.escalation),
    enabled: enabled && Boolean(id),
  });
}

export type StreamState = "connecting" | "live" | "reconnecting" | "offline";
const EVENTS = ["escalation.created", "escalation.voted", "escalation.decided"] as const;

/**
 * Listens to the escalation stream and refreshes every escalation query on each change, so a new
 * question shows up within a second. After a reconnect it refreshes too: events may have been missed.
 */
export function useEscalationStream(onChange?: () => void): StreamState {
  const client = useQueryClient();
  const [state, setState] = useState<StreamState>("connecting");
  const changed = useRef(onChange);
  useEffect(() => {
    changed.current = onChange;
  }, [onChange]);
  useEffect(() => {
    const source = new EventSource("/api/v1/escalations/stream");
    let opened = false;
    const refresh = () => {
      void client.invalidateQueries({ queryKey: ["escalations"] });
      changed.current?.();
    };
    source.onopen = () => {
      if (opened) refresh();
      opened = true;
      setState("live");
    };
    // CLOSED: the server refused the stream (e.g. the session ended); the interval refetch still runs.
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? "offline" : "reconnecting");
    for (const e of EVENTS) source.addEventListener(e, refresh);
    return () => source.close();
  }, [client]);
  return state;
}

/** True when a key press belongs to a text field (shortcuts must not fire while typing). */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}
