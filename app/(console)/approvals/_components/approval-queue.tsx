"use client";
import { useCallback, useEffect, useRef, useState } from "react";
import { Countdown } from "./countdown";
import { EscalationDetail, type Viewer } from "./escalation-detail";
import { KIND_LABEL, approvalsGiven, resourceText, type QueueItem } from "./prompt-text";
import { isTyping, useEscalation, useEscalationStream, usePendingQueue, type StreamState } from "./use-escalations";
import { RiskBadge, StatusBadge } from "@/components/ui/badge";
import { EmptyState } from "@/components/ui/empty-state";
import { ErrorAlert } from "@/components/ui/error-alert";

const expiry = (i: QueueItem) => new Date(i.expiresAt).getTime();

/**
 * The live approval queue: pending escalations soonest-to-expire first, one open at a time beside the
 * list. An item decided while open (here or by someone else) stays in view with its outcome until the
 * approver moves on, so the list never jumps under their cursor.
 */
export function ApprovalQueue({ initialItems, initialSelectedId, viewer }: { initialItems: QueueItem[]; initialSelectedId: string | null; viewer: Viewer }) {
  const queue = usePendingQueue(initialItems);
  const stream = useEscalationStream();
  const live = queue.data ?? [];
  const [selectedId, setSelectedId] = useState<string | null>(initialSelectedId ?? live[0]?.id ?? null);
  const seen = useRef(new Map<string, QueueItem>(initialItems.map((i) => [i.id, i])));
  useEffect(() => {
    for (const i of live) seen.current.set(i.id, i);
  }, [live]);

  const selectedLive = live.find((i) => i.id === selectedId);
  const snapshot = selectedId ? seen.current.get(selectedId) : undefined;
  const settled = useEscalation(selectedId, !selectedLive && Boolean(snapshot));
  const base = selectedLive ?? snapshot;
  // A vote's answer (or the final state of an item that left the queue) is newer than the list until it refetches.
  const fresher = settled.data && settled.data.id === selectedId && (!selectedLive || settled.dataUpdatedAt > queue.dataUpdatedAt);
  const selected: QueueItem | undefined = base && fresher ? { ...base, ...settled.data } : base;
  const list = selected && !selectedLive ? [...live, selected].sort((a, b) => expiry(a) - expiry(b)) : live;

  const select = useCallback((id: string) => {
    setSelectedId(id);
    // Shareable, and what a webhook link opens; replaceState keeps Next's router in step without a navigation.
    window.history.replaceState(null, "", `?escalation=${encodeURIComponent(id)}`);
  }, []);

  // Nothing selected yet (empty queue at load): take the first item that arrives.
  useEffect(() => {
    if (!selectedId && live[0]) setSelectedId(live[0].id);
  }, [selectedId, live]);

  const detailRef = useRef<HTMLDivElement>(null);
  const listRef = useRef<HTMLUListElement>(null);
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      if (e.key === "j" || e.key === "k") {
        if (!list.length) return;
        e.preventDefault();
        const at = list.findIndex((i) => i.id === selectedId);
        const next = e.key === "j" ? Math.min(list.length - 1, at + 1) : Math.max(0, at === -1 ? 0 : at - 1);
        const id = list[next]!.id;
        select(id);
        listRef.current?.querySelector<HTMLElement>(`[data-escalation-id="${id}"]`)?.scrollIntoView({ block: "nearest" });
      } else if (e.key === "a" || e.key === "d") {
        const button = detailRef.current?.querySelector<HTMLButtonElement>(`[data-shortcut="${e.key === "a" ? "approve" : "deny"}"]`);
        if (!button) return;
        e.preventDefault();
        button.focus();
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [list, selectedId, select]);

  return (
    <div>
      <div className="mb-3 flex flex-wrap items-center gap-x-4 gap-y-2 text-sm">
        <p className="text-slate-700" data-testid="queue-count" aria-live="polite">
          {live.length} waiting
        </p>
        <StreamIndicator state={stream} />
        <Shortcuts />
      </div>
      {queue.error && <ErrorAlert error={queue.error} testId="queue-error" />}
      {list.length === 0 ? (
        <EmptyState title="Nothing waits for a decision" testId="queue-empty">
          New step-up and permission requests appear here the moment an enforcement point asks; no need to reload.
        </EmptyState>
      ) : (
        <div className="grid items-start gap-4 lg:grid-cols-[minmax(18rem,24rem)_1fr]">
          <ul ref={listRef} aria-label="Pending escalations, soonest to expire first" className="space-y-2 lg:sticky lg:top-4 lg:max-h-[calc(100vh-2rem)] lg:overflow-y-auto">
            {list.map((item) => (
              <li key={item.id}>
                <QueueRow item={item} selected={item.id === selectedId} onSelect={() => select(item.id)} />
              </li>
            ))}
          </ul>
          <div ref={detailRef}>{selected ? <EscalationDetail item={selected} viewer={viewer} /> : <EmptyState title="Select a request to see what it asks for" />}</div>
        </div>
      )}
    </div>
  );
}

function QueueRow({ item, selected, onSelect }: { item: QueueItem; selected: boolean; onSelect: () => void }) {
  const denied = item.recentDecisions.filter((d) => d.outcome === "deny").length;
  const pending = item.status === "pending";
  return (
    <button
      type="button"
      data-testid="queue-item"
      data-escalation-id={item.id}
      aria-current={selected ? "true" : undefined}
      onClick={onSelect}
      className={`block w-full rounded-lg border px-3 py-2.5 text-left text-sm shadow-xs transition-colors focus-visible:outline-2 focus-visible:outline-indigo-600 ${
        selected ? "border-indigo-500 bg-indigo-50 ring-1 ring-indigo-500" : "border-slate-200 bg-white hover:bg-slate-50"
      } ${pending ? "" : "opacity-70"}`}
    >
      <div className="flex items-center gap-2">
        <RiskBadge risk={item.risk} />
        <span className="text-xs font-medium text-slate-600">{KIND_LABEL[item.kind]}</span>
        <span className="ml-auto text-xs">{pending ? <Countdown expiresAt={item.expiresAt} /> : <StatusBadge status={item.status} testId="queue-item-status" />}</span>
      </div>
      <div className="mt-1 font-medium text-slate-900">{item.agent.name}</div>
      <div className="truncate font-mono text-xs text-slate-700">
        {item.kind === "lease_request" ? `new lease · ${item.lease.grants.length} ${item.lease.grants.length === 1 ? "grant" : "grants"}` : `${item.tool} on ${resourceText(item.resource)}`}
      </div>
      <div className="mt-1 flex gap-3 text-xs text-slate-500">
        <span>
          {approvalsGiven(item)} of {item.requiredApprovals} {item.requiredApprovals === 1 ? "approval" : "approvals"}
        </span>
        {denied > 0 && <span className="font-medium text-rose-700">{denied} denied in this run</span>}
      </div>
    </button>
  );
}

function StreamIndicator({ state }: { state: StreamState }) {
  const [dot, text] =
    state === "live"
      ? ["bg-emerald-500", "Live"]
      : state === "offline"
        ? ["bg-slate-400", "Live updates paused; refreshing every 15 s"]
        : state === "reconnecting"
          ? ["bg-amber-500", "Reconnecting…"]
          : ["bg-slate-300", "Connecting…"];
  return (
    <span data-testid="stream-state" data-state={state} className="inline-flex items-center gap-1.5 text-xs text-slate-600">
      <span aria-hidden className={`size-2 rounded-full ${dot}`} />
      {text}
    </span>
  );
}

function Shortcuts() {
  const k = "rounded border border-slate-300 bg-white px-1.5 font-mono text-xs text-slate-700 shadow-xs";
  return (
    <p data-testid="shortcuts" className="ml-auto text-xs text-slate-500">
      Keyboard: <kbd className={k}>j</kbd> / <kbd className={k}>k</kbd> next / previous · <kbd className={k}>a</kbd> approve · <kbd className={k}>d</kbd> deny
    </p>
  );
}
