"use client";
import { parseAsString, useQueryStates } from "nuqs";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { BulkBar, bulkEligible, type BulkOutcome } from "./bulk-bar";
import { Countdown } from "./countdown";
import { EscalationDetail, type Viewer } from "./escalation-detail";
import { KIND_LABEL, approvalsGiven, resourceText, type QueueItem } from "./prompt-text";
import { isTyping, useEscalation, useEscalationStream, usePendingQueue, type StreamState } from "./use-escalations";
import { RiskBadge, StatusBadge } from "@/components/ui/badge";
import { EmptyState } from "@/components/ui/empty-state";
import { ErrorAlert } from "@/components/ui/error-alert";
import { filterOptions, filterQueue, groupQueue, sortQueue, type QueueGroup } from "@/lib/escalations/queue-view";

const RISKS = ["critical", "high", "medium", "low"] as const;
// Filters and the open request live in the address: a filtered view is a link, and Back leaves the page.
const queueParams = { risk: parseAsString, agent: parseAsString, kind: parseAsString, tool: parseAsString, escalation: parseAsString };

/**
 * The live approval queue: riskiest first, then soonest to expire; identical requests folded into one
 * group; filters kept in the address. One request is open at a time: beside the list on a wide screen,
 * instead of it on a phone (with a way back). An item decided while open (here or by someone else)
 * stays in view with its outcome until the approver moves on, so the list never jumps under them.
 */
export function ApprovalQueue({ initialItems, initialSelectedId, viewer }: { initialItems: QueueItem[]; initialSelectedId: string | null; viewer: Viewer }) {
  const queue = usePendingQueue(initialItems);
  const stream = useEscalationStream();
  const live = useMemo(() => queue.data ?? [], [queue.data]);
  const [params, setParams] = useQueryStates(queueParams, { history: "replace" });
  const filter = { risk: params.risk, agent: params.agent, kind: params.kind, tool: params.tool };
  const filtered = Boolean(filter.risk || filter.agent || filter.kind || filter.tool);
  const [selectedId, setSelectedId] = useState<string | null>(initialSelectedId ?? null);
  // On a phone the list and the open request take turns; a link to one request opens it.
  const [pane, setPane] = useState<"list" | "detail">(initialSelectedId ? "detail" : "list");
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  // Requests picked for one bulk answer (issue 17): pending low/medium ones only.
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set());
  const [bulkOutcome, setBulkOutcome] = useState<BulkOutcome | null>(null);
  const bulkReason = useRef<HTMLInputElement>(null);
  const setPick = useCallback((ids: string[], on: boolean) => {
    setPicked((prev) => {
      const next = new Set(prev);
      for (const id of ids) if (on) next.add(id); else next.delete(id);
      return next;
    });
  }, []);
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

  const all = selected && !selectedLive ? [...live, selected] : live;
  const options = useMemo(() => filterOptions(live), [live]);
  const groups = groupQueue(sortQueue(filterQueue(all, filter)));
  const matching = groups.reduce((n, g) => n + g.items.length, 0);
  const isOpen = useCallback((g: QueueGroup<QueueItem>) => expanded.has(g.key) || g.items.slice(1).some((i) => i.id === selectedId), [expanded, selectedId]);
  // What j/k walk through: what is on screen, a collapsed group by its lead.
  const visible = groups.flatMap((g) => (isOpen(g) ? g.items : [g.lead]));

  const select = useCallback(
    (id: string, show = true) => {
      setSelectedId(id);
      if (show) setPane("detail");
      void setParams({ escalation: id });
    },
    [setParams],
  );

  // Nothing chosen yet: the most urgent item opens beside the list on a wide screen (not in the address).
  const first = visible[0]?.id;
  useEffect(() => {
    if (!selectedId && first) setSelectedId(first);
  }, [selectedId, first]);
  const current = selectedId ?? first ?? null;
  const shown = selected ?? visible[0];

  const detailRef = useRef<HTMLDivElement>(null);
  const listRef = useRef<HTMLUListElement>(null);
  // On a phone, a request opened from far down the list starts at its top, not mid-way.
  useEffect(() => {
    if (pane === "detail" && detailRef.current && detailRef.current.getBoundingClientRect().top < 0) detailRef.current.scrollIntoView({ block: "start" });
  }, [pane, selectedId]);
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      if (e.key === "j" || e.key === "k") {
        if (!visible.length) return;
        e.preventDefault();
        const at = visible.findIndex((i) => i.id === current);
        const next = e.key === "j" ? Math.min(visible.length - 1, at + 1) : Math.max(0, at === -1 ? 0 : at - 1);
        const id = visible[next]!.id;
        select(id, false);
        listRef.current?.querySelector<HTMLElement>(`[data-escalation-id="${id}"]`)?.scrollIntoView({ block: "nearest" });
      } else if (e.key === " " && viewer.canDecide) {
        // Space picks (or unpicks) the current request for a bulk answer.
        const item = visible.find((i) => i.id === current);
        if (!item || !bulkEligible(item)) return;
        e.preventDefault();
        setPick([item.id], !picked.has(item.id));
      } else if (e.key === "D" && picked.size > 0) {
        // Shift+D: deny the picked requests: the reason box takes the focus, Enter denies.
        e.preventDefault();
        bulkReason.current?.focus();
      } else if (e.key === "a" || e.key === "d") {
        const button = detailRef.current?.querySelector<HTMLButtonElement>(`[data-shortcut="${e.key === "a" ? "approve" : "deny"}"]`);
        if (!button) return;
        e.preventDefault();
        button.focus();
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [visible, current, select, viewer.canDecide, picked, setPick]);

  const toggle = (key: string) =>
    setExpanded((prev) => {
      const next = new Set(prev);
      if (!next.delete(key)) next.add(key);
      return next;
    });

  return (
    <div>
      <div className={`mb-3 flex flex-wrap items-center gap-x-4 gap-y-2 text-sm ${pane === "detail" ? "max-lg:hidden" : ""}`}>
        <p className="text-slate-700" data-testid="queue-count" aria-live="polite">
          {live.length} waiting
          {filtered && <span data-testid="queue-shown"> · {matching} shown</span>}
        </p>
        <StreamIndicator state={stream} />
        {viewer.canDecide && <Shortcuts />}
      </div>
      <QueueFilters
        filter={filter}
        options={options}
        hidden={pane === "detail"}
        onChange={(name, value) => {
          const next: Partial<Filter> = {};
          next[name] = value || null;
          void setParams(next);
        }}
        onClear={() => void setParams({ risk: null, agent: null, kind: null, tool: null })}
      />
      {viewer.canDecide && (
        <BulkBar
          ref={bulkReason}
          picked={picked}
          outcome={bulkOutcome}
          onDone={(outcome, ids) => {
            setBulkOutcome(outcome);
            setPick(ids.concat([...picked]), false);
          }}
          onClear={() => {
            setPicked(new Set());
            setBulkOutcome(null);
          }}
        />
      )}
      {queue.error && <ErrorAlert error={queue.error} testId="queue-error" />}
      {all.length === 0 ? (
        <EmptyState title="Nothing waits for a decision" testId="queue-empty">
          New step-up and permission requests appear here the moment an enforcement point asks; no need to reload.
        </EmptyState>
      ) : groups.length === 0 ? (
        <EmptyState title="No waiting request matches these filters" testId="queue-filtered-empty">
          {live.length} {live.length === 1 ? "request waits" : "requests wait"} in all: clear the filters to see them.
        </EmptyState>
      ) : (
        <div className="grid items-start gap-4 lg:grid-cols-[minmax(18rem,24rem)_1fr]">
          <ul
            ref={listRef}
            data-testid="queue-list"
            aria-label="Pending requests, riskiest first, then soonest to expire"
            className={`space-y-2 lg:sticky lg:top-4 lg:max-h-[calc(100vh-2rem)] lg:overflow-y-auto ${pane === "detail" ? "max-lg:hidden" : ""}`}
          >
            {groups.map((g) => (
              <li key={g.key} data-testid="queue-group" data-count={g.items.length}>
                <QueueRow item={g.lead} selected={g.lead.id === current} onSelect={() => select(g.lead.id)} count={g.items.length} />
                {viewer.canDecide && g.items.some(bulkEligible) && (
                  <PickBox ids={g.items.filter(bulkEligible).map((i) => i.id)} picked={picked} onPick={setPick} label={g.items.length > 1 ? `Select all ${g.items.filter(bulkEligible).length} identical` : "Select"} />
                )}
                {g.items.length > 1 && (
                  <button
                    type="button"
                    data-testid="queue-group-toggle"
                    aria-expanded={isOpen(g)}
                    onClick={() => toggle(g.key)}
                    className="mt-1 min-h-11 w-full rounded-md px-3 text-left text-xs font-medium text-indigo-700 hover:bg-indigo-50 focus-visible:outline-2 focus-visible:outline-indigo-600"
                  >
                    {isOpen(g) ? "Hide the identical requests" : `${g.items.length - 1} more identical ${g.items.length === 2 ? "request" : "requests"} — show`}
                  </button>
                )}
                {isOpen(g) && (
                  <ul aria-label="Identical requests" className="mt-1 ml-4 space-y-2 border-l-2 border-slate-200 pl-3">
                    {g.items.slice(1).map((item) => (
                      <li key={item.id}>
                        <QueueRow item={item} selected={item.id === current} onSelect={() => select(item.id)} />
                        {viewer.canDecide && bulkEligible(item) && <PickBox ids={[item.id]} picked={picked} onPick={setPick} label="Select" />}
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ul>
          <div ref={detailRef} className={pane === "list" ? "max-lg:hidden" : ""} data-testid="queue-detail-pane">
            <button
              type="button"
              data-testid="queue-back"
              onClick={() => setPane("list")}
              className="mb-2 inline-flex min-h-11 items-center gap-1 rounded-md px-2 text-sm font-medium text-indigo-700 hover:bg-indigo-50 lg:hidden"
            >
              ← Queue ({live.length} waiting)
            </button>
            {shown ? <EscalationDetail item={shown} viewer={viewer} /> : <EmptyState title="Select a request to see what it asks for" />}
          </div>
        </div>
      )}
    </div>
  );
}

type Filter = { risk: string | null; agent: string | null; kind: string | null; tool: string | null };

function QueueFilters({
  filter,
  options,
  hidden,
  onChange,
  onClear,
}: {
  filter: Filter;
  options: ReturnType<typeof filterOptions>;
  hidden: boolean;
  onChange: (name: keyof Filter, value: string) => void;
  onClear: () => void;
}) {
  const select = "min-h-11 w-full rounded-md border border-slate-300 bg-white px-2 text-sm text-slate-900 lg:min-h-9";
  const field = (name: keyof Filter, label: string, choices: { value: string; label: string }[], any: string) => (
    <label className="min-w-0 text-xs font-medium text-slate-600">
      {label}
      <select name={name} data-testid={`queue-filter-${name}`} value={filter[name] ?? ""} onChange={(e) => onChange(name, e.target.value)} className={`mt-0.5 ${select}`}>
        <option value="">{any}</option>
        {choices.map((c) => (
          <option key={c.value} value={c.value}>
            {c.label}
          </option>
        ))}
        {/* A filter from a shared link stays visible even when nothing matches it now. */}
        {filter[name] && !choices.some((c) => c.value === filter[name]) && <option value={filter[name]!}>{filter[name]}</option>}
      </select>
    </label>
  );
  const active = Boolean(filter.risk || filter.agent || filter.kind || filter.tool);
  return (
    <div role="group" aria-label="Filter the queue" data-testid="queue-filters" className={`mb-3 grid grid-cols-2 items-end gap-2 sm:grid-cols-[repeat(4,minmax(0,12rem))_auto] ${hidden ? "max-lg:hidden" : ""}`}>
      {field("risk", "Risk", RISKS.map((r) => ({ value: r, label: r })), "Any risk")}
      {field("agent", "Agent", options.agents.map((a) => ({ value: a.id, label: a.name })), "Any agent")}
      {field("kind", "Kind", Object.entries(KIND_LABEL).map(([value, label]) => ({ value, label })), "Any kind")}
      {field("tool", "Tool", options.tools.map((t) => ({ value: t, label: t })), "Any tool")}
      {active && (
        <button type="button" data-testid="queue-filters-clear" onClick={onClear} className="col-span-2 min-h-11 rounded-md px-3 text-sm font-medium text-indigo-700 hover:bg-indigo-50 sm:col-span-1 lg:min-h-9">
          Clear filters
        </button>
      )}
    </div>
  );
}

/** A checkbox that picks requests for the bulk answer: one, or every eligible one of a group. */
function PickBox({ ids, picked, onPick, label }: { ids: string[]; picked: ReadonlySet<string>; onPick: (ids: string[], on: boolean) => void; label: string }) {
  const all = ids.every((id) => picked.has(id));
  return (
    <label className="mt-1 flex min-h-9 items-center gap-2 px-3 text-xs text-slate-700">
      <input type="checkbox" data-testid="queue-pick" checked={all} onChange={() => onPick(ids, !all)} />
      {label}
    </label>
  );
}

function QueueRow({ item, selected, onSelect, count = 1 }: { item: QueueItem; selected: boolean; onSelect: () => void; count?: number }) {
  const denied = item.recentDecisions.filter((d) => d.outcome === "deny").length;
  const pending = item.status === "pending";
  return (
    <button
      type="button"
      data-testid="queue-item"
      data-escalation-id={item.id}
      data-risk={item.risk}
      aria-current={selected ? "true" : undefined}
      onClick={onSelect}
      className={`block min-h-11 w-full rounded-lg border px-3 py-2.5 text-left text-sm shadow-xs transition-colors focus-visible:outline-2 focus-visible:outline-indigo-600 ${
        selected ? "border-indigo-500 bg-indigo-50 ring-1 ring-indigo-500" : "border-slate-200 bg-white hover:bg-slate-50"
      } ${pending ? "" : "opacity-70"}`}
    >
      <div className="flex items-center gap-2">
        <RiskBadge risk={item.risk} />
        <span className="text-xs font-medium text-slate-600">{KIND_LABEL[item.kind]}</span>
        {item.assignedToYou && (
          <span data-testid="queue-item-assigned" className="rounded-full bg-indigo-100 px-2 py-0.5 text-xs font-semibold text-indigo-800">
            Assigned to you
          </span>
        )}
        {count > 1 && (
          <span data-testid="queue-group-count" className="rounded-full bg-slate-200 px-2 py-0.5 text-xs font-semibold text-slate-800" title={`${count} identical requests`}>
            ×{count}
          </span>
        )}
        <span className="ml-auto text-xs">{pending ? <Countdown expiresAt={item.expiresAt} /> : <StatusBadge status={item.status} testId="queue-item-status" />}</span>
      </div>
      <div className="mt-1 font-medium text-slate-900">{item.agent.name}</div>
      <div className="truncate font-mono text-xs text-slate-700">
        {item.kind === "lease_request" ? `new lease · ${item.lease.grants.length} ${item.lease.grants.length === 1 ? "grant" : "grants"}` : `${item.tool} on ${resourceText(item.resource)}`}
      </div>
      <div className="mt-1 flex gap-3 text-xs text-slate-600">
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

/** Only for people who may vote (a/d would do nothing for the others); hidden on touch-sized screens. */
function Shortcuts() {
  const k = "rounded border border-slate-300 bg-white px-1.5 font-mono text-xs text-slate-700 shadow-xs";
  return (
    <p data-testid="shortcuts" className="ml-auto hidden text-xs text-slate-500 lg:block">
      Keyboard: <kbd className={k}>j</kbd> / <kbd className={k}>k</kbd> next / previous · <kbd className={k}>a</kbd> approve · <kbd className={k}>d</kbd> deny · <kbd className={k}>space</kbd> select · <kbd className={k}>D</kbd> deny selected
    </p>
  );
}
