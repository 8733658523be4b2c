import Link from "next/link";
import { notFound } from "next/navigation";
import { scopeText } from "../../_components/scope-text";
import { StatusBadge } from "@/components/ui/badge";
import { buttonClass } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Forbidden } from "@/components/ui/forbidden";
import { PageHeader } from "@/components/ui/page-header";
import { tableClass, tdClass, thClass } from "@/components/ui/table";
import { formatDuration, formatUtc } from "@/components/ui/time";
import { listAgents } from "@/lib/agents/queries";
import { AppError } from "@/lib/errors";
import { pageAccess } from "@/lib/auth/page-guard";
import { db } from "@/lib/db";
import { ensureReceipt } from "@/lib/receipts/receipt";
import { describeConstraintUse } from "@/lib/leases/constraint-usage";

export const metadata = { title: "Receipt" };

type Loaded = { ok: true; receipt: Awaited<ReturnType<typeof ensureReceipt>>["receipt"] } | { ok: false; message: string };

async function loadReceipt(id: string): Promise<Loaded> {
  try {
    return { ok: true, receipt: (await ensureReceipt(db(), id)).receipt };
  } catch (err) {
    if (err instanceof AppError && err.code === "not_found") notFound();
    if (err instanceof AppError && err.code === "conflict") return { ok: false, message: err.message };
    throw err;
  }
}

const resourceText = (r: { type: string; id: string } | null | undefined) => (r ? `${r.type} ${r.id}` : "any resource");

function unknownResource(r: unknown): string {
  if (r && typeof r === "object" && "type" in r && "id" in r) return `${String(r.type)} ${String(r.id)}`;
  return "—";
}

export default async function ReceiptPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const access = await pageAccess("leases.read", `/leases/${id}/receipt`);
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  const loaded = await loadReceipt(id);
  const back = (
    <Link href={`/leases/${id}`} className="text-sm text-indigo-700 hover:underline">
      ← Lease {id}
    </Link>
  );
  if (!loaded.ok) {
    return (
      <div className="max-w-5xl space-y-6">
        {back}
        <PageHeader title="Receipt" />
        <EmptyState title="No receipt yet" testId="receipt-pending">
          {loaded.message}. Revoke the lease or let the run complete, then come back.
        </EmptyState>
      </div>
    );
  }
  const r = loaded.receipt;
  const agents = new Map((await listAgents(db(), {})).map((a) => [a.id, a.name]));
  const calls = r.toolCalls.length;
  const allowed = r.toolCalls.filter((c) => c.decision === "allow").length;
  const ranFor = (new Date(r.endedAt).getTime() - new Date(r.startedAt).getTime()) / 1000;

  return (
    <div className="max-w-5xl space-y-6" data-testid="receipt" data-lease-id={r.leaseId}>
      {back}
      <PageHeader
        title="Receipt"
        description={r.purpose}
        actions={
          <>
            <a href={`/api/v1/leases/${r.leaseId}/receipt`} download={`receipt-${r.leaseId}.json`} className={buttonClass("secondary")} data-testid="receipt-download-json">
              Download JSON
            </a>
            <a href={`/api/v1/leases/${r.leaseId}/receipt?format=jws`} download={`receipt-${r.leaseId}.jws`} className={buttonClass("secondary")} data-testid="receipt-download-jws">
              Download signed (JWS)
            </a>
          </>
        }
      >
        <div className="mt-2 flex flex-wrap items-center gap-3 text-sm text-slate-600">
          <span className="font-mono">{r.leaseId}</span>
          <StatusBadge status={r.status} testId="receipt-status" />
          <span>
            {calls} tool {calls === 1 ? "call" : "calls"} asked, {allowed} allowed, {r.denied.length} denied
          </span>
        </div>
      </PageHeader>

      <Card title="Who, what and why">
        <dl className="grid gap-x-6 gap-y-3 text-sm sm:grid-cols-3">
          <Item label="Agent">
            <Link href={`/agents/${r.agentId}`} className="font-mono text-indigo-700 hover:underline">
              {r.agentName}
            </Link>
          </Item>
          <Item label="Delegated by">{r.delegator ?? "an enforcement point"}</Item>
          <Item label="Approved by">{r.approvers.length ? r.approvers.join(", ") : "nobody had to"}</Item>
          <Item label="Environment">
            <span className="font-mono">{r.environment}</span>
          </Item>
          <Item label="Run">
            <Link href={`/runs/${r.runId}`} className="font-mono text-xs text-indigo-700 hover:underline">
              {r.runId}
            </Link>
          </Item>
          <Item label="Purpose">{r.purpose}</Item>
          <Item label="Started">{formatUtc(r.startedAt)}</Item>
          <Item label="Ended">
            {formatUtc(r.endedAt)} <span className="text-slate-500">· after {formatDuration(ranFor)}</span>
          </Item>
          <Item label="Why it ended">
            <span data-testid="receipt-ended-reason">{r.endedReason}</span>
          </Item>
        </dl>
      </Card>

      <Card title={`Tool calls (${calls})`} testId="receipt-calls">
        {calls ? (
          <div className="overflow-x-auto">
            <table className={tableClass}>
              <thead>
                <tr>
                  <th className={thClass}>Time (UTC)</th>
                  <th className={thClass}>Tool</th>
                  <th className={thClass}>Resource</th>
                  <th className={thClass}>Decision</th>
                  <th className={thClass}>Outcome</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {r.toolCalls.map((c, i) => (
                  <tr key={i} data-testid="receipt-call" data-outcome={c.decision}>
                    <td className={`${tdClass} font-mono text-xs whitespace-nowrap text-slate-600`}>{c.at.slice(0, 19).replace("T", " ")}</td>
                    <td className={`${tdClass} font-mono text-xs`}>{c.tool}</td>
                    <td className={`${tdClass} font-mono text-xs`}>{resourceText(c.resource)}</td>
                    <td className={tdClass}>
                      <StatusBadge status={c.decision} testId="receipt-call-decision" />
                    </td>
                    <td className={`${tdClass} text-xs`} data-testid="receipt-call-outcome">
                      {/* receipts written before outcomes existed carry no field at all */}
                      {c.outcome ? (
                        <span title={c.outcome.resultDigest ? `result sha-256 ${c.outcome.resultDigest}` : undefined}>
                          <span className={c.outcome.status === "ok" ? "text-emerald-700" : "text-rose-700"}>{c.outcome.status}</span>
                          {c.outcome.durationMs !== null && <span className="text-slate-500"> · {Math.round(c.outcome.durationMs)} ms</span>}
                          {c.outcome.summary && <span className="text-slate-600"> · {c.outcome.summary}</span>}
                        </span>
                      ) : c.decision === "allow" ? (
                        <span className="text-slate-500">not reported</span>
                      ) : (
                        <span className="text-slate-500">—</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="text-sm text-slate-600">The run asked about no tool call.</p>
        )}
      </Card>

      <div className="grid gap-6 md:grid-cols-2">
        <Card title={`Denied (${r.denied.length})`} testId="receipt-denied">
          {r.denied.length ? (
            <ul className="space-y-2 text-sm">
              {r.denied.map((d, i) => (
                <li key={i} data-testid="receipt-denial">
                  <span className="font-mono text-xs font-medium">{d.tool}</span> <span className="font-mono text-xs text-slate-600">on {resourceText(d.resource)}</span>
                  <div className="mt-0.5 flex flex-wrap items-center gap-1">
                    {d.reasons.map((code) => (
                      <span key={code} className="rounded bg-rose-50 px-1.5 py-0.5 font-mono text-xs text-rose-800">
                        {code}
                      </span>
                    ))}
                    <span className="text-xs text-slate-500">{formatUtc(d.at)}</span>
                  </div>
                </li>
              ))}
            </ul>
          ) : (
            <p className="text-sm text-slate-600">No call was denied.</p>
          )}
        </Card>
        <Card title={`Resources touched (${r.resourcesTouched.length})`} testId="receipt-resources">
          {r.resourcesTouched.length ? (
            <ul className="space-y-1 font-mono text-xs">
              {r.resourcesTouched.map((t) => (
                <li key={`${t.type}:${t.id}`}>{resourceText(t)}</li>
              ))}
            </ul>
          ) : (
            <p className="text-sm text-slate-600">No allowed call named a resource.</p>
          )}
        </Card>
      </div>

      <Card title={`Approvals requested (${r.approvalsRequested.length})`} testId="receipt-approvals">
        {r.approvalsRequested.length ? (
          <ul className="divide-y divide-slate-100 text-sm">
            {r.approvalsRequested.map((a) => (
              <li key={a.escalationId} className="py-2" data-testid="receipt-approval">
                <div className="flex flex-wrap items-center gap-2">
                  <StatusBadge status={a.status} />
                  <span className="font-medium">{a.kind === "step_up" ? "Step-up" : a.kind === "more_permission" ? "More permission" : a.kind.replaceAll("_", " ")}</span>
                  {a.tool && <span className="font-mono text-xs">{a.tool}</span>}
                  <span className="font-mono text-xs text-slate-600">{unknownResource(a.resource)}</span>
                  <span className="font-mono text-xs text-slate-500">{a.escalationId}</span>
                </div>
                {a.approvals.length ? (
                  <ul className="mt-1 space-y-0.5 pl-4 text-xs text-slate-700">
                    {a.approvals.map((v, i) => (
                      <li key={i}>
                        <span className="font-medium">{v.verdict === "approve" ? "Approved" : "Denied"}</span> by {v.by} at {formatUtc(v.at)}
                        {v.reason ? ` — “${v.reason}”` : ""}
                      </li>
                    ))}
                  </ul>
                ) : (
                  <p className="mt-1 pl-4 text-xs text-slate-500">No one voted.</p>
                )}
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-sm text-slate-600">The run asked people for nothing.</p>
        )}
      </Card>

      {/* Receipts written before the vault have no credentialsUsed. Names only: values never leave the vault but to an enforcement point. */}
      <Card title={`Credentials used (${(r.credentialsUsed ?? []).length})`} testId="receipt-credentials">
        {r.credentialsUsed?.length ? (
          <ul className="space-y-1 text-sm">
            {r.credentialsUsed.map((c) => (
              <li key={`${c.connectionId}/${c.name}`} className="flex flex-wrap items-center gap-2">
                <span className="font-mono text-xs">{c.name}</span>
                <span className="text-xs text-slate-500">{c.kind}, released {c.releases}×</span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-sm text-slate-600">No credential was released to an enforcement point for this lease.</p>
        )}
      </Card>

      {/* Receipts written before issue 15 have no constraints. */}
      {r.constraints?.length ? (
        <Card title={`Constraints (${r.constraints.length})`} testId="receipt-constraints">
          <ul className="space-y-1 text-sm">
            {r.constraints.map((c, i) => (
              <li key={i} className="font-mono text-xs">
                {describeConstraintUse(c)}
              </li>
            ))}
          </ul>
        </Card>
      ) : null}

      {/* Receipts written before issue 15 have no intent. */}
      {r.intent || r.driftFlags?.length ? (
        <Card title={`Intent drift (${r.driftFlags?.length ?? 0} ${r.driftFlags?.length === 1 ? "call" : "calls"} off-intent)`} testId="receipt-drift">
          {r.intent && (
            <p className="mb-2 font-mono text-xs text-slate-600" data-testid="receipt-intent">
              {Object.entries(r.intent)
                .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") : String(v)}`)
                .join(" · ")}
            </p>
          )}
          {r.driftFlags?.length ? (
            <ul className="space-y-1 text-sm">
              {r.driftFlags.map((f, i) => (
                <li key={i} className="text-xs">
                  <span className="font-mono">{f.tool}</span> {f.resource ? <span className="font-mono text-slate-600">{f.resource.type} {f.resource.id}</span> : null} — {f.decision} ({f.drift.mode}):{" "}
                  {f.drift.findings.map((x) => `${x.dimension} expected ${x.expected}, got ${x.actual}`).join("; ")} · {formatUtc(f.at)}
                </li>
              ))}
            </ul>
          ) : (
            <p className="text-sm text-slate-600">Every call stayed within the declared intent.</p>
          )}
        </Card>
      ) : null}

      <div className="grid gap-6 md:grid-cols-2">
        <Card title={`Subagent leases (${r.delegatedTo.length})`} testId="receipt-subagents">
          {r.delegatedTo.length ? (
            <ul className="space-y-2 text-sm">
              {r.delegatedTo.map((c) => (
                <li key={c.leaseId} className="flex flex-wrap items-center gap-2">
                  <Link href={`/leases/${c.leaseId}/receipt`} className="font-mono text-xs text-indigo-700 hover:underline">
                    {c.leaseId}
                  </Link>
                  <span className="font-mono text-xs">{agents.get(c.agentId) ?? c.agentId}</span>
                  <StatusBadge status={c.status} />
                  <Link href={`/runs/${c.runId}`} className="font-mono text-xs text-slate-500 hover:underline">
                    {c.runId}
                  </Link>
                </li>
              ))}
            </ul>
          ) : (
            <p className="text-sm text-slate-600">No subagent was given a lease.</p>
          )}
        </Card>
        <Card title="Permissions revoked" testId="receipt-revoked">
          <p className="mb-2 text-xs text-slate-600">
            At {formatUtc(r.permissionsRevoked.at)} ({r.permissionsRevoked.reason}) the run lost:
          </p>
          <ul className="space-y-1 text-sm">
            {r.permissionsRevoked.grants.map((g, i) => (
              <li key={i}>
                <span className="font-mono text-xs">{g.tool}</span> <span className="text-slate-600">on {scopeText(g)}</span>
              </li>
            ))}
          </ul>
        </Card>
      </div>

      <Card title="Digest">
        <p className="font-mono text-sm break-all" data-testid="receipt-digest">
          {r.digest}
        </p>
        <p className="mt-2 text-xs text-slate-600">
          sha-256 of this receipt&apos;s canonical JSON (RFC 8785, without the digest field). The signed form is a JWS over the same bytes, made with the lease-token key; check it offline against{" "}
          <a href="/.well-known/jwks.json" className="font-mono text-indigo-700 hover:underline">
            /.well-known/jwks.json
          </a>
          .
        </p>
      </Card>
    </div>
  );
}

function Item({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase">{label}</dt>
      <dd className="mt-0.5">{children}</dd>
    </div>
  );
}
