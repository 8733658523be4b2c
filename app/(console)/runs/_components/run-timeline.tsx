"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useCallback, useMemo, useRef, useState } from "react";
import { buildTimeline, decisionPayload, escalationPayload, leasePayload, onlyDenials, outcomePayload, votePayload, type TimelineRow } from "./timeline-model";
import { useRunEvents, type RunEvent, type StreamState } from "./use-run-events";
import { RevokeLease } from "../../leases/_components/lease-actions";
import { McpCallDetails, McpCallLine } from "@/components/decisions/mcp-call";
import { TimeLeft } from "@/components/leases/time-left";
import { StatusBadge } from "@/components/ui/badge";
import { BudgetBar } from "@/components/ui/budget-bar";
import { Card } from "@/components/ui/card";
import { formatUtc } from "@/components/ui/time";
import { apiFetch } from "@/lib/api/client";
import { mcpCallOf } from "@/lib/decisions/mcp-call";
import type { DriftDimension } from "@/lib/intent/schemas";
import type { LeaseView } from "@/lib/leases/schemas";

const LIVE = new Set(["active", "pending_approval"]);
const leaseKey = (id: string) => ["leases", "one", id] as const;

type Props = { runId: string; initialLease: LeaseView | null; agentNames: Record<string, string>; mayRevoke: boolean };

export function RunTimeline({ runId, initialLease, agentNames, mayRevoke }: Props) {
  const client = useQueryClient();
  const [denialsOnly, setDenialsOnly] = useState(false);
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  // The budget and status come from the lease itself, re-read (at most every 250 ms) when the run moves.
  const onEvents = useCallback(
    (batch: RunEvent[]) => {
      if (!batch.some((e) => e.type !== "escalation.created" && e.type !== "escalation.voted")) return;
      if (refetchTimer.current) return;
      refetchTimer.current = setTimeout(() => {
        refetchTimer.current = null;
        void client.invalidateQueries({ queryKey: ["leases", "one"] });
      }, 250);
    },
    [client],
  );
  const { events, state } = useRunEvents(runId, onEvents);

  // The run's current lease: the latest one issued for this run (a run may be given another lease).
  const leaseId = useMemo(() => {
    let id = initialLease?.id ?? null;
    for (const e of events) if (e.type === "lease.issued" && e.data.runId === runId && e.data.leaseId) id = e.data.leaseId;
    return id;
  }, [events, initialLease, runId]);
  const lease = useQuery({
    queryKey: leaseKey(leaseId ?? ""),
    queryFn: () => apiFetch<{ lease: LeaseView }>(`/api/v1/leases/${leaseId}`).then((r) => r.lease),
    initialData: leaseId === initialLease?.id ? initialLease : undefined,
    enabled: Boolean(leaseId),
  }).data;

  const model = useMemo(() => buildTimeline(runId, events), [runId, events]);
  const rows = denialsOnly ? onlyDenials(model.rows) : model.rows;
  const live = lease ? LIVE.has(lease.status) : false;

  return (
    <div className="space-y-6">
      <Card testId="run-lease">
        {lease ? (
          <div className="flex flex-wrap items-start gap-x-8 gap-y-4">
            <div>
              <div className="text-xs font-medium tracking-wide text-slate-500 uppercase">Lease</div>
              <div className="mt-1 flex items-center gap-2">
                <Link href={`/leases/${lease.id}`} className="font-mono text-sm text-indigo-700 hover:underline">
                  {lease.id}
                </Link>
                <StatusBadge status={lease.status} testId="run-lease-status" />
              </div>
            </div>
            <div className="w-56">
              <div className="text-xs font-medium tracking-wide text-slate-500 uppercase">Budget</div>
              <div className="mt-1">
                <BudgetBar used={lease.toolCallsUsed} max={lease.maxToolCalls} testId="budget-bar" />
              </div>
            </div>
            <div>
              <div className="text-xs font-medium tracking-wide text-slate-500 uppercase">Time left</div>
              <div className="mt-1 text-sm">
                <TimeLeft status={lease.status} expiresAt={lease.expiresAt} endedAt={lease.endedAt} testId="time-left" />
              </div>
            </div>
            <div className="ml-auto flex flex-col items-end gap-2">
              {live ? <StreamIndicator state={state} /> : <RunEnded status={lease.status} />}
              {!live && (
                <Link href={`/leases/${lease.id}/receipt`} data-testid="receipt-link" className="text-sm font-medium text-indigo-700 hover:underline">
                  Read the receipt →
                </Link>
              )}
            </div>
            {lease.endedReason && (
              <p className="w-full text-sm text-slate-700" data-testid="run-ended-reason">
                <span className="font-semibold">Ended:</span> {lease.endedReason}
                {lease.endedAt && <span className="text-slate-500"> · {formatUtc(lease.endedAt)}</span>}
              </p>
            )}
            {live && mayRevoke && (
              <div className="w-full">
                <RevokeLease leaseId={lease.id} hasChildren={model.rows.some((r) => r.kind === "delegated")} />
              </div>
            )}
          </div>
        ) : (
          <p className="text-sm text-slate-600">This run holds no lease yet.</p>
        )}
      </Card>

      <Card
        title="Timeline"
        actions={
          <label className="inline-flex items-center gap-2 text-sm text-slate-700">
            <input type="checkbox" data-testid="denials-only" checked={denialsOnly} onChange={(e) => setDenialsOnly(e.target.checked)} className="size-4 rounded border-slate-300" />
            Denials only <span className="text-slate-500 tabular-nums">({model.denials})</span>
          </label>
        }
      >
        <p className="mb-3 text-xs text-slate-500" aria-live="polite" data-testid="timeline-summary">
          {model.decisions} {model.decisions === 1 ? "decision" : "decisions"}, {model.denials} denied · times in UTC · newest at the bottom
        </p>
        {rows.length ? (
          <ol data-testid="timeline" className="divide-y divide-slate-100">
            {rows.map((r) => (
              <Row key={r.key} row={r} agentNames={agentNames} depth={0} />
            ))}
          </ol>
        ) : (
          <div data-testid="timeline" className="rounded-md border border-dashed border-slate-300 px-4 py-8 text-center text-sm text-slate-600">
            {denialsOnly && model.rows.length
              ? "No denials in this run."
              : state === "live"
                ? "Nothing has happened yet. Events appear here as the agent's enforcement point asks before each tool call."
                : "Connecting to the run's event stream…"}
          </div>
        )}
      </Card>
    </div>
  );
}

function clock(iso: string) {
  return new Date(iso).toISOString().slice(11, 19);
}

function resourceText(r: { type: string; id: string } | null | undefined) {
  return r ? `${r.type} ${r.id}` : "any resource";
}

function Row({ row, agentNames, depth }: { row: TimelineRow; agentNames: Record<string, string>; depth: number }) {
  if (row.kind === "delegated") return <DelegatedRow row={row} agentNames={agentNames} depth={depth} />;
  if (row.kind === "escalation") return <EscalationRow row={row} />;
  const e = row.event;
  if (e.type === "decision") return <DecisionRow event={e} reported={row.outcome} />;
  if (e.type === "decision.outcome") return <OutcomeRow event={e} />;
  return <LeaseRow event={e} />;
}

function EventLine({ event, type, seq, outcome, children, testExtra }: { event: RunEvent; type: string; seq: string; outcome?: string | null; children: React.ReactNode; testExtra?: Record<string, string> }) {
  return (
    <li data-testid="timeline-event" data-event={type} data-seq={seq} data-outcome={outcome ?? undefined} data-run-id={event.data.runId ?? undefined} {...testExtra} className="flex gap-3 py-2 text-sm">
      <time dateTime={event.data.at} title={formatUtc(event.data.at)} className="w-16 shrink-0 pt-0.5 font-mono text-xs text-slate-500 tabular-nums">
        {clock(event.data.at)}
      </time>
      <div className="min-w-0 flex-1">{children}</div>
    </li>
  );
}

/** What an allowed call did, as its enforcement point reported it. */
function CallOutcome({ event }: { event: RunEvent }) {
  const o = outcomePayload(event);
  return (
    <span data-testid="decision-call-outcome" data-status={o.status} className="text-xs" title={o.resultDigest ? `result sha-256 ${o.resultDigest}` : undefined}>
      <span className={o.status === "ok" ? "text-emerald-700" : "text-rose-700"}>→ {o.status}</span>
      {typeof o.durationMs === "number" && <span className="text-slate-500"> in {Math.round(o.durationMs)} ms</span>}
      {o.summary && <span className="text-slate-600"> · {o.summary}</span>}
    </span>
  );
}

function OutcomeRow({ event }: { event: RunEvent }) {
  return (
    <EventLine event={event} type="decision.outcome" seq={event.data.seq} outcome={event.data.outcome}>
      <span className="font-mono text-xs">{event.data.tool}</span> <CallOutcome event={event} />
    </EventLine>
  );
}

const DRIFT_LABEL: Record<DriftDimension, string> = { tool: "Tool", resource: "Resource", dataClass: "Data class", calls: "Calls" };

function DecisionRow({ event, reported }: { event: RunEvent; reported?: RunEvent }) {
  const p = decisionPayload(event);
  const outcome = event.data.outcome ?? "unknown";
  const call = mcpCallOf(p.context, { arguments: p.arguments, argumentsDigest: p.argumentsDigest });
  return (
    <EventLine event={event} type="decision" seq={event.data.seq} outcome={outcome}>
      <div className="flex flex-wrap items-center gap-x-2 gap-y-1">
        <StatusBadge status={outcome} testId="decision-outcome" />
        <span className="font-mono text-xs font-medium" data-testid="decision-tool">
          {event.data.tool}
        </span>
        <span className="font-mono text-xs text-slate-600" data-testid="decision-resource">
          {resourceText(p.resource)}
        </span>
        {(p.reasons ?? []).map((r) => (
          <span key={r.code} title={r.message} data-testid="decision-reason" className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700">
            {r.code}
          </span>
        ))}
        {p.drift && (
          <span data-testid="decision-drift" data-mode={p.drift.mode} className="rounded bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-900" title="The call was off its lease's declared intent">
            off-intent{p.drift.mode === "enforce" ? "" : " (advisory)"}
          </span>
        )}
        {p.approvalId && <span className="text-xs text-emerald-700">with approval {p.approvalId}</span>}
        {reported && <CallOutcome event={reported} />}
        <span className="ml-auto text-xs text-slate-500 tabular-nums" data-testid="decision-latency" title="Time Lanyard took to decide">
          {typeof p.latencyMs === "number" ? `${p.latencyMs < 10 ? p.latencyMs.toFixed(1) : Math.round(p.latencyMs)} ms` : ""}
        </span>
      </div>
      {outcome !== "allow" && p.reasons?.[0] && <p className="mt-0.5 text-xs text-slate-600">{p.reasons[0].message}</p>}
      {p.drift && (
        <ul className="mt-0.5 text-xs text-amber-900" data-testid="decision-drift-findings">
          {p.drift.findings.map((f) => (
            <li key={`${f.dimension}-${f.leaseId}`}>
              {DRIFT_LABEL[f.dimension]}: expected {f.expected}, got <span className="font-mono">{f.actual}</span>
            </li>
          ))}
        </ul>
      )}
      {call && (
        <details className="mt-1" data-testid="decision-mcp">
          <summary className="cursor-pointer list-inside">
            <McpCallLine call={call} />
          </summary>
          <div className="mt-1 rounded-md border border-slate-200 bg-white p-2">
            <McpCallDetails call={call} />
          </div>
        </details>
      )}
    </EventLine>
  );
}

function EscalationRow({ row }: { row: Extract<TimelineRow, { kind: "escalation" }> }) {
  const first = (row.created ?? row.decided ?? row.votes[0])!;
  const asked = row.created ? escalationPayload(row.created) : {};
  const decided = row.decided ? escalationPayload(row.decided) : null;
  const status = row.decided?.data.outcome ?? "pending";
  const kind = asked.kind ?? decided?.kind ?? "step_up";
  const what = kind === "more_permission" ? "More permission asked" : kind === "lease_request" ? "Lease approval asked" : "Step-up asked";
  const id = first.data.escalationId ?? "";
  return (
    <EventLine event={first} type={row.decided ? "escalation.decided" : "escalation.created"} seq={first.data.seq} outcome={status} testExtra={{ "data-escalation-id": id }}>
      <div className="flex flex-wrap items-center gap-x-2 gap-y-1">
        <StatusBadge status={status} testId="escalation-status" />
        <span className="font-medium">{what}</span>
        {first.data.tool && <span className="font-mono text-xs">{first.data.tool}</span>}
        {asked.resource !== undefined && <span className="font-mono text-xs text-slate-600">{resourceText(asked.resource)}</span>}
        {status === "pending" && (
          <Link href={`/approvals?escalation=${encodeURIComponent(id)}`} className="ml-auto text-xs font-medium text-indigo-700 hover:underline">
            Waiting for a person · open in Approvals
          </Link>
        )}
      </div>
      {asked.justification && <p className="mt-0.5 text-xs text-slate-600">“{asked.justification}”</p>}
      {/* Every vote when there was more than one (or the step is still waiting for more): the line below names only the last. */}
      {(row.votes.length > 1 || (row.votes.length > 0 && !row.decided)) && (
        <ul className="mt-0.5 space-y-0.5 text-xs text-slate-700" data-testid="escalation-votes">
          {row.votes.map((v) => {
            const vote = votePayload(v);
            return (
              <li key={v.data.seq} data-testid="escalation-vote" data-verdict={vote.verdict ?? v.data.outcome ?? ""}>
                {vote.verdict === "deny" ? "denied" : "approved"} by <span data-testid="escalation-vote-by">{v.data.actorLabel ?? "someone"}</span> at {clock(v.data.at)}
                {vote.reason ? <span data-testid="escalation-vote-reason"> — “{vote.reason}”</span> : ""}
              </li>
            );
          })}
        </ul>
      )}
      {row.decided && (
        <p className="mt-0.5 text-xs text-slate-700" data-testid="escalation-decided">
          {status} by <span data-testid="escalation-decided-by">{row.decided.data.actorLabel ?? "the system"}</span> at {clock(row.decided.data.at)}
          {decided?.reason ? <span data-testid="escalation-decided-reason"> — “{decided.reason}”</span> : ""}
        </p>
      )}
      {row.consumed && (
        <p className="mt-0.5 text-xs text-slate-500" data-testid="escalation-consumed">
          used by the agent at {clock(row.consumed.data.at)}
        </p>
      )}
    </EventLine>
  );
}

function LeaseRow({ event }: { event: RunEvent }) {
  const p = leasePayload(event);
  const who = event.data.actorLabel ?? "the system";
  let text: React.ReactNode;
  switch (event.data.action) {
    case "lease.issued":
      text = `Lease issued by ${who}: ${p.lease?.maxToolCalls ?? "?"} calls, until ${clock(p.lease?.expiresAt ?? event.data.at)} · ${(p.lease?.grants ?? []).map((g) => g.tool).join(", ")}`;
      break;
    case "lease.requested":
      text = `Lease requested by ${who}; waiting for a person to approve it`;
      break;
    case "lease.approved":
      text = `Lease approved by ${who}`;
      break;
    case "lease.grant_added":
      text = `Grant added by ${who}: ${p.grant?.tool ?? event.data.tool ?? ""}`;
      break;
    case "lease.extended":
      text = `Lease extended, approved by ${who}: until ${clock(p.to?.expiresAt ?? event.data.at)}, ${p.to?.maxToolCalls ?? "?"} calls (was until ${clock(p.from?.expiresAt ?? event.data.at)}, ${p.from?.maxToolCalls ?? "?"} calls)`;
      break;
    case "lease.revoked":
      text = `Lease revoked by ${who}${p.reason ? `: ${p.reason}` : ""}${p.cascadedFrom ? ` (cascaded from ${p.cascadedFrom.join(", ")})` : ""}`;
      break;
    case "lease.ended":
      text = `Lease ended (${p.status ?? "ended"})${p.reason && p.reason !== p.status ? `: ${p.reason}` : ""}`;
      break;
    default:
      text = event.data.action;
  }
  const ended = event.type === "lease.revoked" || event.type === "lease.ended";
  return (
    <EventLine event={event} type={event.type} seq={event.data.seq} outcome={event.data.outcome}>
      <p className={ended ? "font-medium text-slate-800" : "text-slate-700"}>
        {text}{" "}
        {event.data.leaseId && (
          <Link href={ended ? `/leases/${event.data.leaseId}/receipt` : `/leases/${event.data.leaseId}`} className="font-mono text-xs text-indigo-700 hover:underline">
            {ended ? "receipt" : event.data.leaseId}
          </Link>
        )}
      </p>
    </EventLine>
  );
}

function DelegatedRow({ row, agentNames, depth }: { row: Extract<TimelineRow, { kind: "delegated" }>; agentNames: Record<string, string>; depth: number }) {
  const p = leasePayload(row.event);
  const agentId = p.lease?.agentId ?? row.event.data.agentId ?? "";
  return (
    <li data-testid="timeline-event" data-event="lease.delegated" data-seq={row.event.data.seq} data-run-id={row.childRunId} className="py-2 text-sm">
      <div className="flex gap-3">
        <time dateTime={row.event.data.at} className="w-16 shrink-0 pt-0.5 font-mono text-xs text-slate-500 tabular-nums">
          {clock(row.event.data.at)}
        </time>
        <p className="min-w-0 flex-1 text-slate-800">
          <span className="font-medium">Subagent started:</span> <span className="font-mono text-xs">{agentNames[agentId] ?? agentId}</span> ·{" "}
          <Link href={`/runs/${row.childRunId}`} className="font-mono text-xs text-indigo-700 hover:underline">
            {row.childRunId}
          </Link>{" "}
          <span className="text-slate-500">
            · {p.lease?.maxToolCalls ?? "?"} calls · {(p.lease?.grants ?? []).map((g) => g.tool).join(", ")}
          </span>
        </p>
      </div>
      <ol data-testid="subagent-run" data-run-id={row.childRunId} data-depth={depth + 1} className="mt-1 ml-[4.75rem] divide-y divide-slate-100 border-l-2 border-violet-200 pl-4">
        {row.children.length ? (
          row.children.map((c) => <Row key={c.key} row={c} agentNames={agentNames} depth={depth + 1} />)
        ) : (
          <li className="py-2 text-xs text-slate-500">No calls yet.</li>
        )}
      </ol>
    </li>
  );
}

/** A run whose lease has ended says so, not "Live": the stream stays open only to show late events. */
function RunEnded({ status }: { status: string }) {
  return (
    <span data-testid="stream-state" data-state="ended" className="inline-flex items-center gap-1.5 text-xs text-slate-600">
      <span aria-hidden className="size-2 rounded-full bg-slate-400" />
      Run ended ({status})
    </span>
  );
}

function StreamIndicator({ state }: { state: StreamState }) {
  const [dot, text] =
    state === "live" ? ["bg-emerald-500", "Live"] : state === "offline" ? ["bg-slate-400", "Live updates stopped; reload the page"] : state === "reconnecting" ? ["bg-amber-500", "Reconnecting…"] : ["bg-slate-300", "Connecting…"];
  return (
    <span data-testid="stream-state" data-state={state} className="inline-flex items-center gap-1.5 text-xs text-slate-600">
      <span aria-hidden className={`size-2 rounded-full ${dot}`} />
      {text}
    </span>
  );
}
