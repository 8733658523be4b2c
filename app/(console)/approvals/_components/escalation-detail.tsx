"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { Countdown } from "./countdown";
import { KIND_LABEL, approvalsGiven, askText, decidedBy, effectText, resourceText, type QueueItem } from "./prompt-text";
import { escalationKey } from "./use-escalations";
import { McpCallDetails } from "@/components/decisions/mcp-call";
import { TimeLeft } from "@/components/leases/time-left";
import { RiskBadge, StatusBadge } from "@/components/ui/badge";
import { BudgetBar } from "@/components/ui/budget-bar";
import { Button } from "@/components/ui/button";
import { ErrorAlert } from "@/components/ui/error-alert";
import { inputClass } from "@/components/ui/field";
import { formatUtc } from "@/components/ui/time";
import { ApiError, apiFetch } from "@/lib/api/client";
import { ReauthPrompt } from "@/components/presence/reauth-prompt";
import { voteNeedsReason } from "@/lib/escalations/rules";
import type { EscalationView } from "@/lib/escalations/schemas";
import { isOwnRequest } from "@/lib/leases/rules";
import { constraintText } from "@/lib/leases/constraint-usage";

export type Viewer = { id: string; email: string; canDecide: boolean };

/** One escalation, laid out like a permission prompt: who asks, for exactly what, what it already did, and what a yes allows. */
export function EscalationDetail({ item, viewer }: { item: QueueItem; viewer: Viewer }) {
  const pending = item.status === "pending";
  const given = approvalsGiven(item);
  return (
    <article data-testid="escalation-detail" data-escalation-id={item.id} aria-labelledby={`ask-${item.id}`} className="rounded-lg border border-slate-200 bg-white shadow-xs">
      <header className="border-b border-slate-200 px-5 py-4">
        <div className="flex flex-wrap items-center gap-2 text-xs">
          <span className="font-semibold tracking-wide text-slate-500 uppercase">{KIND_LABEL[item.kind]}</span>
          <RiskBadge risk={item.risk} />
          <StatusBadge status={item.status} testId="escalation-status" />
          {pending && (
            <span className="ml-auto text-sm">
              <Countdown expiresAt={item.expiresAt} suffix=" left to decide" />
            </span>
          )}
        </div>
        <h2 id={`ask-${item.id}`} className="mt-2 text-lg font-semibold text-slate-900">
          {askText(item)}
        </h2>
        <p className="mt-1 font-mono text-xs text-slate-500">{item.id}</p>
      </header>

      <div className="space-y-5 px-5 py-4">
        {pending ? (
          <p data-testid="approval-effect" className="rounded-md border border-indigo-200 bg-indigo-50 px-3 py-2 text-sm text-indigo-950">
            {effectText(item)}
          </p>
        ) : (
          <DecidedBanner item={item} />
        )}

        <section aria-label="Why the agent asks">
          <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">Justification</h3>
          <blockquote className="mt-1 border-l-4 border-slate-300 pl-3 text-sm whitespace-pre-line text-slate-800">{item.justification || "—"}</blockquote>
        </section>

        <dl className="grid gap-x-6 gap-y-3 text-sm sm:grid-cols-2">
          <Fact label="Agent">
            <Link href={`/agents/${item.agent.id}`} className="font-mono text-indigo-700 hover:underline">
              {item.agent.name}
            </Link>
          </Fact>
          <Fact label={item.kind === "lease_request" ? "Requested for" : "Delegated by"}>{item.lease.delegator ? `${item.lease.delegator.name} (${item.lease.delegator.email})` : item.lease.requestedBy || "—"}</Fact>
          <Fact label="Purpose">{item.lease.purpose}</Fact>
          <Fact label="Environment">
            <span className="font-mono">{item.lease.environment}</span>
          </Fact>
          <Fact label="Run">
            <Link href={`/runs/${item.runId}`} data-testid="escalation-run-link" className="font-mono text-xs text-indigo-700 hover:underline">
              {item.runId}
            </Link>{" "}
            {pending && <span className="text-xs text-slate-500">· watch it live</span>}
          </Fact>
          <Fact label="Lease">
            <Link href={`/leases/${item.leaseId}`} className="font-mono text-xs text-indigo-700 hover:underline">
              {item.leaseId}
            </Link>{" "}
            <StatusBadge status={item.lease.status} testId="escalation-lease-status" />
          </Fact>
          <Fact label="Lease budget">
            <BudgetBar used={item.lease.toolCallsUsed} max={item.lease.maxToolCalls} testId="escalation-budget" />
          </Fact>
          <Fact label="Lease time left">
            <TimeLeft status={item.lease.status} expiresAt={item.lease.expiresAt} endedAt={null} testId="escalation-lease-expiry" />
          </Fact>
          <Fact label="Approvals">
            <span data-testid="approvals-progress" className={`font-medium ${given < item.requiredApprovals && pending ? "text-amber-800" : ""}`}>
              {given} of {item.requiredApprovals} {item.requiredApprovals === 1 ? "approval" : "approvals"}
            </span>
            {item.requiredApprovals > 1 && <span className="text-xs text-slate-500"> · distinct people</span>}
            {item.approvals.length > 0 && (
              <ul className="mt-1 space-y-0.5 text-xs text-slate-600">
                {item.approvals.map((v) => (
                  <li key={v.by}>
                    <span className={v.verdict === "approve" ? "text-emerald-700" : "text-rose-700"}>{v.verdict === "approve" ? "approved" : "denied"}</span> by {v.by} · {formatUtc(v.at)}
                    {v.reason && <span className="text-slate-500"> — “{v.reason}”</span>}
                  </li>
                ))}
              </ul>
            )}
          </Fact>
          <Fact label="Asked">{formatUtc(item.createdAt)}</Fact>
        </dl>

        {item.kind === "lease_request" && <LeaseScope item={item} />}

        {item.kind === "step_up" && item.mcp && (item.mcp.session || item.mcp.connection) && (
          <section aria-label="Through the MCP gateway" data-testid="escalation-mcp">
            <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">Through the MCP gateway</h3>
            <div className="mt-1">
              <McpCallDetails call={item.mcp} showArguments={false} testId="escalation-mcp-call" />
            </div>
          </section>
        )}

        {item.kind === "step_up" && (item.arguments || item.argumentsDigest) && <CallArguments item={item} />}

        <RecentDecisions item={item} />

        {pending && <VoteForm key={item.id} item={item} viewer={viewer} />}
      </div>
    </article>
  );
}

/** The exact call people approve: an approval is valid only for arguments with this digest. */
function CallArguments({ item }: { item: QueueItem }) {
  return (
    <section aria-label="The call's arguments" data-testid="escalation-arguments">
      <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">Arguments</h3>
      {item.arguments ? (
        <pre className="mt-1 max-h-72 overflow-auto rounded-md border border-slate-200 bg-slate-50 p-3 font-mono text-xs whitespace-pre-wrap break-all text-slate-800">{JSON.stringify(item.arguments, null, 2)}</pre>
      ) : (
        <p className="mt-1 text-sm text-slate-600">Not sent: the enforcement point sent only their digest.</p>
      )}
      {item.argumentsDigest && <p className="mt-1 font-mono text-xs break-all text-slate-500">sha-256 {item.argumentsDigest} — the approval is valid only for these arguments</p>}
    </section>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase">{label}</dt>
      <dd className="mt-0.5 break-words">{children}</dd>
    </div>
  );
}

function DecidedBanner({ item }: { item: QueueItem }) {
  const by = decidedBy(item);
  const at = formatUtc(item.decidedAt ?? item.expiresAt);
  const good = item.status === "approved" || item.status === "consumed";
  const tone = good ? "border-emerald-200 bg-emerald-50 text-emerald-950" : item.status === "denied" ? "border-rose-200 bg-rose-50 text-rose-950" : "border-slate-200 bg-slate-50 text-slate-800";
  let text: string;
  if (item.status === "expired") text = `Expired unanswered at ${at}: the call stays denied.`;
  else if (item.status === "cancelled") text = `Cancelled at ${at}.`;
  else text = `Decided (${good ? "approved" : "denied"})${by ? ` by ${by}` : ""} at ${at}.`;
  const reason = item.approvals.find((v) => (good ? v.verdict === "approve" : v.verdict === "deny") && v.reason)?.reason;
  return (
    <div data-testid="escalation-decided" role="status" className={`rounded-md border px-3 py-2 text-sm ${tone}`}>
      <p className="font-medium">{text}</p>
      {reason && <p className="mt-0.5">Reason: “{reason}”</p>}
      {item.status === "consumed" && <p className="mt-0.5 text-xs">The agent has used this approval.</p>}
      {item.status === "approved" && item.kind === "step_up" && item.approvalExpiresAt && <p className="mt-0.5 text-xs">The approval may be used once, until {formatUtc(item.approvalExpiresAt)}.</p>}
    </div>
  );
}

function LeaseScope({ item }: { item: QueueItem }) {
  return (
    <section aria-label="What the lease grants" className="grid gap-4 text-sm sm:grid-cols-2">
      <div>
        <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">Grants asked for</h3>
        <ul className="mt-1 space-y-0.5">
          {item.lease.grants.map((g, i) => (
            <li key={`${g.tool}-${i}`} className="font-mono text-xs">
              {g.tool} <span className="text-slate-500">on {g.resource ? `${g.resource.type} ${g.resource.ids.join(", ")}` : "any resource"}</span>
              {g.constraints || g.production ? (
                <span className="block text-slate-600" data-testid="escalation-grant-constraints">
                  {constraintText({ production: g.production === true, ...g.constraints, recordsUsed: item.lease.recordsUsed })}
                </span>
              ) : null}
            </li>
          ))}
        </ul>
      </div>
      <div>
        <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">Never allowed</h3>
        <p className="mt-1 font-mono text-xs">{item.lease.deny.length ? item.lease.deny.join(", ") : "—"}</p>
      </div>
    </section>
  );
}

function RecentDecisions({ item }: { item: QueueItem }) {
  const denied = item.recentDecisions.filter((d) => d.outcome === "deny").length;
  return (
    <section data-testid="recent-decisions" aria-labelledby={`did-${item.id}`}>
      <div className="flex flex-wrap items-baseline gap-2">
        <h3 id={`did-${item.id}`} className="text-sm font-semibold">
          What the agent already did
        </h3>
        {item.recentDecisions.length > 0 && (
          <span className={`text-xs ${denied ? "font-semibold text-rose-700" : "text-slate-500"}`} data-testid="recent-denied-count">
            {denied ? `${denied} of the last ${item.recentDecisions.length} calls denied` : `last ${item.recentDecisions.length} calls, none denied`}
          </span>
        )}
      </div>
      {item.recentDecisions.length === 0 ? (
        <p className="mt-1 text-sm text-slate-600">Nothing yet: this is the run&apos;s first question.</p>
      ) : (
        <ol className="mt-2 space-y-1.5">
          {item.recentDecisions.map((d) => {
            const deny = d.outcome === "deny";
            return (
              <li
                key={d.id}
                data-testid="recent-decision"
                data-outcome={d.outcome}
                className={`rounded-md border px-3 py-1.5 text-sm ${deny ? "border-rose-300 border-l-4 border-l-rose-600 bg-rose-50" : "border-slate-200"}`}
              >
                <div className="flex flex-wrap items-center gap-2">
                  <StatusBadge status={d.outcome} testId="recent-decision-outcome" />
                  <span className={`font-mono text-xs ${deny ? "font-semibold text-rose-900" : ""}`}>{d.tool}</span>
                  <span className="font-mono text-xs text-slate-500">{d.resource ? resourceText(d.resource) : ""}</span>
                  <span className="ml-auto text-xs whitespace-nowrap text-slate-500">{formatUtc(d.at)}</span>
                </div>
                <div className="mt-1 flex flex-wrap gap-1">
                  {d.reasons.map((r) => (
                    <span key={r.code} title={r.message} className={`rounded px-1.5 py-0.5 font-mono text-xs ${deny ? "bg-rose-100 text-rose-900" : "bg-slate-100 text-slate-700"}`}>
                      {r.code}
                    </span>
                  ))}
                </div>
                {deny && d.reasons[0] && <p className="mt-0.5 text-xs text-rose-900">{d.reasons[0].message}</p>}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}

function VoteForm({ item, viewer }: { item: QueueItem; viewer: Viewer }) {
  const client = useQueryClient();
  const [reason, setReason] = useState("");
  const [missing, setMissing] = useState<string | null>(null);
  const reasonToApprove = voteNeedsReason("approve", item.risk);
  // Approving a high or critical request may answer reauth_required: ask for the proof here, then vote again.
  const [proving, setProving] = useState(false);
  const vote = useMutation({
    mutationFn: (verdict: "approve" | "deny") => apiFetch<{ escalation: EscalationView }>(`/api/v1/escalations/${item.id}/votes`, { method: "POST", body: { verdict, reason: reason.trim() } }),
    onSuccess: ({ escalation }) => {
      client.setQueryData(escalationKey(item.id), escalation);
      void client.invalidateQueries({ queryKey: ["escalations"] });
    },
    onError: (err) => {
      if (err instanceof ApiError && err.code === "reauth_required") setProving(true);
    },
  });
  const voteError = vote.error instanceof ApiError && vote.error.code === "reauth_required" ? null : vote.error;

  if (!viewer.canDecide) {
    return <p className="rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-600">Your role may read the queue; a person with the approver role decides.</p>;
  }
  const own = isOwnRequest(viewer, item.lease);
  const mine = item.approvals.find((v) => v.by === viewer.email);
  if (mine) {
    const left = item.requiredApprovals - approvalsGiven(item);
    return (
      <p data-testid="vote-recorded" className="rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-950">
        You {mine.verdict === "approve" ? "approved" : "denied"} at {formatUtc(mine.at)}.{" "}
        {left > 0 ? `Waiting for ${left} more ${left === 1 ? "approver" : "approvers"} (a different person).` : ""}
      </p>
    );
  }

  function submit(verdict: "approve" | "deny") {
    if (!reason.trim() && voteNeedsReason(verdict, item.risk)) {
      setMissing(verdict === "deny" ? "Give a reason to deny: the agent's operator and the audit log see it." : "Give a reason: approving a critical-risk request needs one.");
      document.getElementById(`vote-reason-${item.id}`)?.focus();
      return;
    }
    setMissing(null);
    vote.mutate(verdict);
  }

  const hint = reasonToApprove ? "Required to approve or deny (critical risk)." : "Required to deny; optional to approve.";
  return (
    <form
      aria-label="Decide this request"
      data-testid="vote-form"
      // On a phone the decision is a bar pinned to the bottom of the screen while the request scrolls above it.
      className="sticky bottom-0 z-10 space-y-3 border-slate-200 bg-slate-50 p-3 shadow-[0_-4px_12px_rgb(0_0_0/0.08)] max-lg:-mx-5 max-lg:-mb-4 max-lg:border-t max-lg:pb-[max(0.75rem,env(safe-area-inset-bottom))] lg:static lg:rounded-md lg:border lg:p-4 lg:shadow-none"
      onSubmit={(e) => {
        e.preventDefault();
      }}
    >
      <div className="text-sm">
        <label htmlFor={`vote-reason-${item.id}`} className="block font-medium text-slate-800">
          Reason
        </label>
        <textarea
          id={`vote-reason-${item.id}`}
          data-testid="vote-reason"
          rows={2}
          maxLength={1000}
          enterKeyHint="done"
          value={reason}
          aria-describedby={`vote-hint-${item.id}`}
          aria-invalid={missing ? true : undefined}
          onChange={(e) => {
            setReason(e.target.value);
            if (e.target.value.trim()) setMissing(null);
          }}
          className={inputClass}
          placeholder={reasonToApprove ? "Why is this safe (or not)?" : "Why? (required to deny)"}
        />
        <p id={`vote-hint-${item.id}`} className="mt-1 text-xs text-slate-500">
          {hint} Recorded in the audit log.
        </p>
      </div>
      {own && (
        <p data-testid="vote-own-lease" className="text-sm text-amber-900">
          You delegated or requested this lease, so someone else must approve it. You may still deny it.
        </p>
      )}
      {proving && (
        <ReauthPrompt
          onProved={() => {
            setProving(false);
            vote.mutate("approve");
          }}
          onCancel={() => {
            setProving(false);
            vote.reset();
          }}
        />
      )}
      <ErrorAlert error={missing ?? voteError} testId="vote-error" />
      <div className="flex flex-wrap items-center gap-2">
        <Button data-shortcut="approve" variant="primary" data-testid="vote-approve" disabled={vote.isPending || own} onClick={() => submit("approve")} aria-keyshortcuts="a" className="min-h-11 flex-1 lg:min-h-0 lg:flex-none">
          Approve
        </Button>
        <Button data-shortcut="deny" variant="danger" data-testid="vote-deny" disabled={vote.isPending} onClick={() => submit("deny")} aria-keyshortcuts="d" className="min-h-11 flex-1 lg:min-h-0 lg:flex-none">
          Deny
        </Button>
        {vote.isPending && <span className="text-sm text-slate-600">Recording your vote…</span>}
        {item.requiredApprovals > 1 && <span className="ml-auto text-xs text-slate-600">Needs {item.requiredApprovals} different approvers; your approval counts as one.</span>}
      </div>
    </form>
  );
}
