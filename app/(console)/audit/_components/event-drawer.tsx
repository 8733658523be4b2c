"use client";
import Link from "next/link";
import { useEffect, useRef } from "react";
import { StatusBadge } from "@/components/ui/badge";
import { buttonClass } from "@/components/ui/button";
import { McpCallDetails } from "@/components/decisions/mcp-call";
import type { AuditEventView } from "@/lib/audit/schemas";
import { mcpCallOf } from "@/lib/decisions/mcp-call";
import type { AuditFilterValues } from "./filters";
import { formatAuditTime } from "./format";

type Narrow = (f: Partial<AuditFilterValues>) => void;

/** One event in full: every column, the payload as JSON, links to what it names, and "explain" for a decision. */
export function EventDrawer({ event, agentName, onClose, onNarrow }: { event: AuditEventView; agentName: string | null; onClose: () => void; onNarrow: Narrow }) {
  const panel = useRef<HTMLElement>(null);
  useEffect(() => {
    panel.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [event.seq, onClose]);

  const decisionId = event.decisionId ?? (event.action === "decision" && event.subjectType === "decision" ? event.subjectId : null);
  const p = (event.payload ?? {}) as { context?: unknown; arguments?: unknown; argumentsDigest?: unknown };
  const call = event.action === "decision" ? mcpCallOf(p.context, { arguments: p.arguments, argumentsDigest: p.argumentsDigest }) : null;
  return (
    <aside
      ref={panel}
      tabIndex={-1}
      role="dialog"
      aria-labelledby="event-drawer-title"
      data-testid="event-drawer"
      data-seq={event.seq}
      className="fixed inset-y-0 right-0 z-30 flex w-full max-w-xl flex-col border-l border-slate-200 bg-white shadow-2xl outline-none"
    >
      <header className="flex items-start justify-between gap-3 border-b border-slate-200 px-5 py-4">
        <div className="min-w-0">
          <p className="text-xs text-slate-500">
            Event #{event.seq} · {formatAuditTime(event.at)}
          </p>
          <h2 id="event-drawer-title" className="mt-0.5 flex items-center gap-2 font-mono text-lg font-semibold">
            {event.action}
            {event.outcome && <StatusBadge status={event.outcome} testId="drawer-outcome" />}
          </h2>
        </div>
        <button type="button" onClick={onClose} className={buttonClass("secondary", "sm")} aria-label="Close event">
          Close
        </button>
      </header>
      <div className="flex-1 space-y-5 overflow-y-auto px-5 py-4 text-sm">
        {decisionId && (
          <div className="rounded-md border border-indigo-200 bg-indigo-50 p-3">
            <p className="text-indigo-900">Who delegated, who approved, which lease and grants, which token — for this decision, in one place.</p>
            <Link href={`/audit/decisions/${decisionId}`} className={`${buttonClass("primary", "sm")} mt-2`} data-testid="explain-link">
              Explain decision
            </Link>
          </div>
        )}
        {call && (
          <section aria-label="The exact call" className="rounded-md border border-violet-200 bg-violet-50/40 p-3">
            <h3 className="mb-1 text-xs font-semibold tracking-wide text-slate-600 uppercase">The exact call</h3>
            <McpCallDetails call={call} testId="drawer-mcp-call" />
          </section>
        )}
        <dl className="grid grid-cols-[9rem_1fr] gap-x-3 gap-y-2">
          <Row label="Actor">
            {event.actorLabel ?? "—"} <span className="text-xs text-slate-500">({event.actorType.replaceAll("_", " ")})</span>
            {event.actorId && <Id value={event.actorId} />}
            {(event.actorId || event.actorLabel) && <NarrowButton label="actor" onClick={() => onNarrow({ actor: event.actorId ?? event.actorLabel })} />}
          </Row>
          <Row label="Agent">
            {event.agentId ? (
              <>
                <Link className="text-indigo-700 hover:underline" href={`/agents/${event.agentId}`}>
                  {agentName ?? event.agentId}
                </Link>
                <Id value={event.agentId} />
                <NarrowButton label="agent" onClick={() => onNarrow({ agentId: event.agentId })} />
              </>
            ) : (
              "—"
            )}
          </Row>
          <Row label="Run">
            {event.runId ? (
              <>
                <Link className="font-mono text-indigo-700 hover:underline" href={`/runs/${event.runId}`}>
                  {event.runId}
                </Link>
                <NarrowButton label="run" onClick={() => onNarrow({ runId: event.runId })} />
              </>
            ) : (
              "—"
            )}
          </Row>
          <Row label="Lease">
            {event.leaseId ? (
              <>
                <Link className="font-mono text-indigo-700 hover:underline" href={`/leases/${event.leaseId}`}>
                  {event.leaseId}
                </Link>
                {event.leaseVersion !== null && <span className="ml-1 text-xs text-slate-500">version {event.leaseVersion}</span>}
                <NarrowButton label="lease" onClick={() => onNarrow({ leaseId: event.leaseId })} />
              </>
            ) : (
              "—"
            )}
          </Row>
          <Row label="Escalation">
            {event.escalationId ? (
              <>
                <Link className="font-mono text-indigo-700 hover:underline" href={`/approvals?escalation=${event.escalationId}`}>
                  {event.escalationId}
                </Link>
                <NarrowButton label="escalation" onClick={() => onNarrow({ escalationId: event.escalationId })} />
              </>
            ) : (
              "—"
            )}
          </Row>
          <Row label="Decision">
            {decisionId ? (
              <Link className="font-mono text-indigo-700 hover:underline" href={`/audit/decisions/${decisionId}`}>
                {decisionId}
              </Link>
            ) : (
              "—"
            )}
          </Row>
          <Row label="Tool">{event.tool ? <span className="font-mono">{event.tool}</span> : "—"}</Row>
          <Row label="Token jti">{event.tokenJti ? <span className="font-mono break-all">{event.tokenJti}</span> : "—"}</Row>
          <Row label="Subject">{event.subjectType ? <span className="font-mono">{`${event.subjectType} ${event.subjectId ?? ""}`}</span> : "—"}</Row>
          <Row label="Event id">
            <span className="font-mono break-all">{event.id}</span>
          </Row>
          <Row label="Time">
            <time dateTime={event.at}>{event.at}</time>
          </Row>
        </dl>
        <section>
          <h3 className="mb-1 text-xs font-semibold tracking-wide text-slate-600 uppercase">Payload</h3>
          <pre data-testid="event-payload" className="max-h-96 overflow-auto rounded-md bg-slate-900 p-3 font-mono text-xs leading-relaxed text-slate-100">
            {JSON.stringify(event.payload, null, 2)}
          </pre>
        </section>
      </div>
    </aside>
  );
}

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <>
      <dt className="text-slate-500">{label}</dt>
      <dd className="min-w-0 break-words">{children}</dd>
    </>
  );
}

const Id = ({ value }: { value: string }) => <span className="ml-1 font-mono text-xs text-slate-500">{value}</span>;

function NarrowButton({ label, onClick }: { label: string; onClick: () => void }) {
  return (
    <button type="button" onClick={onClick} className="ml-2 rounded px-1 text-xs text-indigo-700 hover:bg-indigo-50" title={`Show only events of this ${label}`}>
      filter
    </button>
  );
}
