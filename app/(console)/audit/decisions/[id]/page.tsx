import Link from "next/link";
import { notFound } from "next/navigation";
import { formatAuditTime } from "../../_components/format";
import { McpCallDetails } from "@/components/decisions/mcp-call";
import { StatusBadge } from "@/components/ui/badge";
import { Forbidden } from "@/components/ui/forbidden";
import { PageHeader } from "@/components/ui/page-header";
import { AppError } from "@/lib/errors";
import { explainDecision } from "@/lib/audit/explain";
import { approvalsSaid } from "@/lib/audit/explain-approvals";
import { pageAccess } from "@/lib/auth/page-guard";
import { db } from "@/lib/db";
import type { Grant } from "@/lib/leases/schemas";

export const metadata = { title: "Explain decision" };
export const dynamic = "force-dynamic";

type Person = { id: string; email: string; name: string | null } | null;

async function explain(id: string) {
  try {
    return await explainDecision(db(), id);
  } catch (err) {
    if (err instanceof AppError && err.code === "not_found") notFound();
    throw err;
  }
}

const scope = (g: Grant) => (g.resource ? `${g.resource.type} ${g.resource.ids.join(", ") || "(no ids)"}` : "any resource");
const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v, null, 2));

/**
 * One decision and everything behind it, top to bottom in the order authority flowed: the person who
 * delegated, the people who approved, the agent, the lease and its grants at the version in force, the
 * token, and the call with its answer and reasons.
 */
export default async function ExplainDecisionPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const access = await pageAccess("audit.read", `/audit/decisions/${id}`);
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  const x = await explain(id);
  const d = x.decision;
  const leaseApproval = x.approvals.filter((a) => a.kind === "lease_request");
  const stepUps = x.approvals.filter((a) => a.kind !== "lease_request");
  const said = approvalsSaid(x);

  return (
    <div className="max-w-5xl space-y-5" data-testid="explain-view" data-decision-id={d.id}>
      <Link href={`/audit?decisionId=${encodeURIComponent(d.id)}`} className="text-sm text-indigo-700 hover:underline">
        ← Audit events of this decision
      </Link>
      <PageHeader title="Explain decision" description={<span className="font-mono">{d.id}</span>}>
        <p className="mt-3 max-w-3xl text-base text-slate-800" data-testid="explain-summary">
          {x.delegator ? <Who p={x.delegator} /> : <span>An enforcement point ({x.requestedBy ?? "unknown requester"})</span>} gave{" "}
          <strong>{x.agent?.name ?? x.agent?.id ?? "an unknown agent"}</strong> a lease
          {said.lease.length ? <> approved by <strong data-testid="explain-lease-approvers">{said.lease.join(", ")}</strong></> : null}; on {formatAuditTime(d.at)} it asked for{" "}
          <span className="font-mono">{d.tool}</span>
          {said.other.map((o, i) => (
            <span key={i} data-testid="explain-other-approval">
              {" "}
              ({o.kind === "step_up" ? "a step-up" : "more permission"}
              {o.tool && o.tool !== d.tool ? <> for <span className="font-mono">{o.tool}</span></> : null} approved by <strong>{o.by.join(", ")}</strong>)
            </span>
          ))}{" "}
          and was answered <StatusBadge status={d.outcome} testId="explain-outcome" />
          {d.reasons.length ? <> because <span className="font-mono">{d.reasons.map((r) => r.code).join(", ")}</span></> : null}.
        </p>
      </PageHeader>

      <ol className="relative space-y-4 border-l-2 border-slate-200 pl-6">
        <Step n={1} title="Delegated by" testId="explain-delegator">
          {x.delegator ? <Who p={x.delegator} full /> : <p className="text-slate-600">No person delegated this lease directly.</p>}
          {x.requestedBy && <p className="mt-1 text-xs text-slate-500">Requested by {x.requestedBy}</p>}
        </Step>

        <Step n={2} title="Approved by" testId="explain-approvers">
          {x.leaseApprovedBy ? (
            <p>
              Lease approved by <Who p={x.leaseApprovedBy} full />
            </p>
          ) : (
            !said.lease.length && <p className="text-slate-600">{stepUps.length ? "The lease was issued without a separate approval." : "No approval was recorded for this lease or for this call."}</p>
          )}
          {[...leaseApproval, ...stepUps].map((a) => (
            <div key={a.escalationId} className="mt-2 rounded-md border border-slate-200 p-3">
              <p className="flex flex-wrap items-center gap-2">
                <span className="font-medium">{a.kind === "lease_request" ? "Lease request" : "Step-up"}</span>
                {a.tool && <span className="font-mono text-xs">{a.tool}</span>}
                <StatusBadge status={a.status} />
                <Link className="font-mono text-xs text-indigo-700 hover:underline" href={`/approvals?escalation=${a.escalationId}`}>
                  {a.escalationId}
                </Link>
              </p>
              {a.votes.length ? (
                <ul className="mt-2 space-y-1">
                  {a.votes.map((v, i) => (
                    <li key={i} data-testid="explain-vote">
                      <StatusBadge status={v.verdict === "approve" ? "approved" : "denied"} /> <Who p={v.by} /> <span className="text-xs text-slate-500">{formatAuditTime(v.at)}</span>
                      {v.reason && <span className="text-slate-700"> — “{v.reason}”</span>}
                    </li>
                  ))}
                </ul>
              ) : (
                <p className="mt-1 text-slate-600">No votes.</p>
              )}
            </div>
          ))}
        </Step>

        <Step n={3} title="Agent" testId="explain-agent">
          {x.agent ? (
            <p>
              <Link className="font-medium text-indigo-700 hover:underline" href={`/agents/${x.agent.id}`}>
                {x.agent.name ?? x.agent.id}
              </Link>{" "}
              <span className="font-mono text-xs text-slate-500">{x.agent.id}</span>
            </p>
          ) : (
            <p className="text-slate-600">No agent is recorded (the token could not be read).</p>
          )}
        </Step>

        <Step n={4} title="Lease and grants in force" testId="explain-lease">
          {x.lease ? (
            <div className="space-y-2">
              <p className="flex flex-wrap items-center gap-2">
                <Link className="font-mono text-indigo-700 hover:underline" href={`/leases/${x.lease.id}`}>
                  {x.lease.id}
                </Link>
                <span className="text-xs text-slate-600">version {x.lease.versionInForce ?? "—"} in force</span>
                <span className="text-xs text-slate-500">· the lease now:</span>
                <StatusBadge status={x.lease.status} testId="explain-lease-status" />
              </p>
              <p className="text-slate-700">“{x.lease.purpose}”</p>
              <dl className="grid grid-cols-[9rem_1fr] gap-x-3 gap-y-1">
                <dt className="text-slate-500">Environment</dt>
                <dd>{x.lease.environment}</dd>
                <dt className="text-slate-500">Run</dt>
                <dd>
                  <Link className="font-mono text-indigo-700 hover:underline" href={`/runs/${x.lease.runId}`}>
                    {x.lease.runId}
                  </Link>
                </dd>
                {x.lease.parentLeaseId && (
                  <>
                    <dt className="text-slate-500">Delegated from</dt>
                    <dd>
                      <Link className="font-mono text-indigo-700 hover:underline" href={`/leases/${x.lease.parentLeaseId}`}>
                        {x.lease.parentLeaseId}
                      </Link>
                    </dd>
                  </>
                )}
                <dt className="text-slate-500">Grants</dt>
                <dd>
                  <ul data-testid="explain-grants">
                    {x.lease.grantsInForce.map((g, i) => (
                      <li key={i}>
                        <span className={`font-mono ${g.tool === d.tool ? "font-semibold text-indigo-800" : ""}`}>{g.tool}</span> <span className="text-xs text-slate-500">on {scope(g)}</span>
                      </li>
                    ))}
                    {!x.lease.grantsInForce.length && <li className="text-slate-500">none recorded</li>}
                  </ul>
                </dd>
                <dt className="text-slate-500">Denied</dt>
                <dd className="font-mono">{x.lease.deny.length ? x.lease.deny.join(", ") : "—"}</dd>
                <dt className="text-slate-500">Needs approval</dt>
                <dd className="font-mono">{x.lease.requireApproval.length ? x.lease.requireApproval.join(", ") : "—"}</dd>
              </dl>
            </div>
          ) : (
            <p className="text-slate-600">No lease is recorded for this call.</p>
          )}
        </Step>

        <Step n={5} title="Token" testId="explain-token">
          <p>
            jti <span className="font-mono" data-testid="explain-jti">{x.token.jti ?? "—"}</span>
          </p>
        </Step>

        <Step n={6} title="The call and the answer" testId="explain-call">
          <dl className="grid grid-cols-[9rem_1fr] gap-x-3 gap-y-1">
            <dt className="text-slate-500">Tool</dt>
            <dd className="font-mono">{d.tool}</dd>
            <dt className="text-slate-500">Outcome</dt>
            <dd>
              <StatusBadge status={d.outcome} testId="explain-call-outcome" />
            </dd>
            <dt className="text-slate-500">Reasons</dt>
            <dd>
              <ul data-testid="explain-reasons">
                {d.reasons.map((r, i) => (
                  <li key={i}>
                    <span className="font-mono text-xs font-semibold">{r.code}</span> — {r.message}
                  </li>
                ))}
              </ul>
            </dd>
            {d.drift && (
              <>
                <dt className="text-slate-500">Intent drift</dt>
                <dd data-testid="explain-drift">
                  <span className="text-xs font-medium text-amber-900">{d.drift.mode === "enforce" ? "off-intent, held for a person (enforce)" : "off-intent, allowed and flagged (advisory)"}</span>
                  <ul className="mt-1 text-xs">
                    {d.drift.findings.map((f, i) => (
                      <li key={i}>
                        <span className="font-mono font-semibold">{f.dimension}</span>: expected {f.expected}, got <span className="font-mono">{f.actual}</span>
                        {f.leaseId !== x.lease?.id && <span className="text-slate-500"> (intent of lease {f.leaseId})</span>}
                      </li>
                    ))}
                  </ul>
                </dd>
              </>
            )}
            <dt className="text-slate-500">Policy</dt>
            <dd data-testid="explain-policy">
              {x.policy ? (
                <>
                  version <span className="font-mono">{x.policy.version}</span>
                  {x.policy.message && <span className="ml-2 text-xs text-slate-500">“{x.policy.message}” by {x.policy.publishedBy}</span>}
                  {x.policy.policies.length ? (
                    <ul className="mt-1 space-y-1">
                      {x.policy.policies.map((p) => (
                        <li key={p.id} data-testid="explain-policy-id">
                          <span className="font-mono text-xs font-semibold">{p.id}</span>
                          {p.text && <pre className="overflow-x-auto rounded bg-slate-50 p-2 font-mono text-xs">{p.text}</pre>}
                        </li>
                      ))}
                    </ul>
                  ) : (
                    <span className="ml-2 text-xs text-slate-500">no policy forbade it (the lease rules said {x.policy.leaseOutcome})</span>
                  )}
                </>
              ) : (
                <span className="text-slate-500">no policy was published</span>
              )}
            </dd>
            <dt className="text-slate-500">Time</dt>
            <dd>
              <time dateTime={d.at}>{formatAuditTime(d.at)}</time>
              {d.latencyMs !== null && <span className="ml-2 text-xs text-slate-500">decided in {d.latencyMs.toFixed(1)} ms</span>}
            </dd>
            {d.outcome === "allow" && (
              <>
                <dt className="text-slate-500">What happened</dt>
                <dd data-testid="explain-call-result">
                  {x.callOutcome ? (
                    <>
                      <StatusBadge status={x.callOutcome.status} />
                      {x.callOutcome.durationMs !== null && <span className="ml-2 text-xs text-slate-500">in {Math.round(x.callOutcome.durationMs)} ms</span>}
                      {x.callOutcome.summary && <span className="ml-2 text-xs text-slate-700">{x.callOutcome.summary}</span>}
                      {x.callOutcome.resultDigest && <p className="font-mono text-xs break-all text-slate-500">result sha-256 {x.callOutcome.resultDigest}</p>}
                    </>
                  ) : (
                    <span className="text-slate-500">not reported by the enforcement point</span>
                  )}
                </dd>
              </>
            )}
            <dt className="text-slate-500">Enforcement point</dt>
            <dd>{d.enforcementPoint ? <>{d.enforcementPoint.name} <span className="font-mono text-xs text-slate-500">{d.enforcementPoint.id}</span></> : "—"}</dd>
            {d.escalationId && (
              <>
                <dt className="text-slate-500">Escalation</dt>
                <dd>
                  <Link className="font-mono text-indigo-700 hover:underline" href={`/approvals?escalation=${d.escalationId}`}>
                    {d.escalationId}
                  </Link>
                </dd>
              </>
            )}
            {d.approvalId && (
              <>
                <dt className="text-slate-500">Approval used</dt>
                <dd className="font-mono">{d.approvalId}</dd>
              </>
            )}
            <dt className="text-slate-500">Resource</dt>
            <dd>{json(d.resource) ? <pre className="overflow-x-auto rounded bg-slate-50 p-2 font-mono text-xs">{json(d.resource)}</pre> : "—"}</dd>
            <dt className="text-slate-500">Context</dt>
            <dd>{json(d.context) ? <pre className="overflow-x-auto rounded bg-slate-50 p-2 font-mono text-xs">{json(d.context)}</pre> : "—"}</dd>
          </dl>
          {d.mcp && (
            <section aria-label="The exact call" className="mt-3 rounded-md border border-violet-200 bg-violet-50/40 p-3">
              <h3 className="mb-1 text-xs font-semibold tracking-wide text-slate-600 uppercase">The exact call, as the gateway sent it</h3>
              <McpCallDetails call={d.mcp} testId="explain-mcp-call" />
            </section>
          )}
        </Step>
      </ol>
    </div>
  );
}

function Step({ n, title, testId, children }: { n: number; title: string; testId: string; children: React.ReactNode }) {
  return (
    <li className="relative" data-testid={testId}>
      <span aria-hidden className="absolute -left-[2.15rem] grid size-6 place-items-center rounded-full bg-indigo-600 text-xs font-semibold text-white">
        {n}
      </span>
      <section className="rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-xs">
        <h2 className="mb-2 text-xs font-semibold tracking-wide text-slate-600 uppercase">{title}</h2>
        {children}
      </section>
    </li>
  );
}

function Who({ p, full = false }: { p: NonNullable<Person>; full?: boolean }) {
  return (
    <span title={p.email}>
      <strong>{p.name ?? p.email}</strong>
      {full && p.name ? <span className="text-slate-600"> ({p.email})</span> : null}
    </span>
  );
}
