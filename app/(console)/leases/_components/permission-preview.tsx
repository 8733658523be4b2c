"use client";
import type { AgentOption, LeaseDraft, Preview } from "./lease-draft";
import { scopeText } from "./scope-text";
import { formatDuration } from "@/components/ui/time";
import { useNow } from "@/components/ui/use-now";

/** The "boringly specific" permission prompt: exactly what this lease lets the run do, in plain words. */
export function PermissionPreview({ draft, agent, p }: { draft: LeaseDraft; agent: AgentOption | undefined; p: Preview }) {
  const now = useNow(15_000);
  const minutes = Number(draft.expiresMinutes);
  const expiresAt = now !== null && minutes > 0 ? new Date(now + minutes * 60_000) : null;
  const depth = Number(draft.maxDelegationDepth);
  return (
    <section data-testid="permission-preview" aria-labelledby="preview-title" aria-live="polite" className="rounded-lg border-2 border-indigo-200 bg-white p-5 shadow-sm">
      <h2 id="preview-title" className="text-base font-semibold">
        Permission prompt preview
      </h2>
      <p className="text-xs text-slate-500">What the run will be allowed, exactly.</p>
      {p.pendingBecause && (
        <p role="note" data-testid="preview-pending" className="mt-3 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-950">
          <strong>Starts pending approval:</strong> {p.pendingBecause}. The run can do nothing until a person approves it.
        </p>
      )}
      {p.overCeiling.length > 0 && (
        <ul role="note" data-testid="preview-over-ceiling" className="mt-3 list-disc rounded-md border border-rose-200 bg-rose-50 py-2 pr-3 pl-7 text-sm text-rose-800">
          {p.overCeiling.map((m) => (
            <li key={m}>{m}: Lanyard will refuse it</li>
          ))}
        </ul>
      )}
      <dl className="mt-4 space-y-3 text-sm">
        <Row term="Task" testId="preview-task">
          {draft.purpose.trim() || <Missing>no purpose yet</Missing>}
          {draft.taskRef.trim() && <span className="block text-xs break-all text-slate-500">{draft.taskRef.trim()}</span>}
          <span className="block text-xs text-slate-500">
            {agent ? <span className="font-mono">{agent.name}</span> : "no agent chosen"} in {draft.environment || "—"}
          </span>
        </Row>
        <Row term="Allowed" testId="preview-allowed">
          {p.allowed.length ? (
            <ul className="space-y-0.5">
              {p.allowed.map((g) => (
                <li key={g.tool}>
                  <span className="font-mono">{g.tool}</span> <span className="text-slate-600">on {scopeText(g)}</span>
                </li>
              ))}
            </ul>
          ) : (
            <Missing>nothing yet: pick at least one tool</Missing>
          )}
        </Row>
        <Row term="Not allowed" testId="preview-not-allowed">
          {p.notAllowed.length ? <span className="font-mono">{p.notAllowed.join(", ")}</span> : null}
          <span className="block text-slate-600">{p.notAllowed.length ? "and " : ""}every tool not listed under Allowed.</span>
        </Row>
        <Row term="Needs approval" testId="preview-needs-approval">
          {p.needsApproval.length ? (
            <ul className="space-y-0.5">
              {p.needsApproval.map((n) => (
                <li key={n.tool}>
                  <span className="font-mono">{n.tool}</span> <span className="text-slate-600">({n.why})</span>
                </li>
              ))}
            </ul>
          ) : (
            <span className="text-slate-600">none: every allowed call goes through without a person</span>
          )}
        </Row>
        <Row term="Budget" testId="preview-budget">
          {Number(draft.maxToolCalls) > 0 ? `${Number(draft.maxToolCalls)} tool calls` : <Missing>no budget</Missing>}
          <span className="block text-slate-600">{depth > 0 ? `may hand narrower leases to subagents, ${depth} level${depth > 1 ? "s" : ""} deep` : "may not start subagents with their own lease"}</span>
        </Row>
        <Row term="Expires" testId="preview-expires">
          {expiresAt ? (
            <>
              <time dateTime={expiresAt.toISOString()}>{expiresAt.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })}</time>{" "}
              <span className="text-slate-600">(in {formatDuration(minutes * 60)})</span>
            </>
          ) : minutes > 0 ? (
            `in ${formatDuration(minutes * 60)}`
          ) : (
            <Missing>no expiry set</Missing>
          )}
        </Row>
      </dl>
    </section>
  );
}

function Row({ term, testId, children }: { term: string; testId: string; children: React.ReactNode }) {
  return (
    <div className="grid grid-cols-[7.5rem_1fr] gap-2 border-t border-slate-100 pt-3 first:border-0 first:pt-0" data-testid={testId}>
      <dt className="font-semibold text-slate-900">{term}</dt>
      <dd className="min-w-0">{children}</dd>
    </div>
  );
}

function Missing({ children }: { children: React.ReactNode }) {
  return <span className="text-amber-800 italic">{children}</span>;
}
