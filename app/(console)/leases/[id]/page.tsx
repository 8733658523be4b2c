import Link from "next/link";
import { notFound } from "next/navigation";
import { DecideLease, RevokeLease } from "../_components/lease-actions";
import { ExtendLease } from "../_components/extend-lease";
import { DecisionList } from "../_components/decision-list";
import { DelegationTree } from "../_components/delegation-tree";
import { IssuedBanner } from "../_components/issued-banner";
import { scopeText } from "../_components/scope-text";
import { TimeLeft } from "@/components/leases/time-left";
import { RiskBadge, StatusBadge } from "@/components/ui/badge";
import { BudgetBar } from "@/components/ui/budget-bar";
import { Card } from "@/components/ui/card";
import { Forbidden } from "@/components/ui/forbidden";
import { objectTitle } from "@/components/shell/object-title";
import { PageHeader } from "@/components/ui/page-header";
import { formatUtc } from "@/components/ui/time";
import { AppError } from "@/lib/errors";
import { firstParams, type SearchParams } from "@/lib/api/search-params";
import { pageAccess } from "@/lib/auth/page-guard";
import { can } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { getLeaseDetail } from "@/lib/leases/queries";
import { canRevokeLease, isOwnRequest } from "@/lib/leases/rules";
import { listTools } from "@/lib/tools/tools";

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return objectTitle("leases.read", "Lease", async () => {
    const { lease, agent } = await getLeaseDetail(db(), id);
    return `Lease ${lease.id} · ${agent.name}`;
  });
}

async function findLease(id: string) {
  try {
    return await getLeaseDetail(db(), id);
  } catch (err) {
    if (err instanceof AppError && err.code === "not_found") notFound();
    throw err;
  }
}

const LIVE = new Set(["active", "pending_approval"]);

export default async function LeasePage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<SearchParams> }) {
  const { id } = await params;
  const access = await pageAccess("leases.read", `/leases/${id}`);
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  const { issued } = firstParams(await searchParams);
  const [{ lease, agent, delegator, approvedBy, tree, decisions }, tools] = await Promise.all([findLease(id), listTools(db())]);
  const risk = new Map(tools.map((t) => [t.name, t.risk]));
  const actor = access.actor;
  const live = LIVE.has(lease.status);
  const mayRevoke = live && canRevokeLease(actor, lease);
  const pending = lease.status === "pending_approval";
  const ownRequest = isOwnRequest(actor, lease);
  const mayDecide = pending && can(actor, "leases.approve") && !ownRequest;
  // The same rule as POST /leases/{id}/extend: the delegator or requester, or an admin, on an active lease.
  const mayExtend = lease.status === "active" && can(actor, "leases.issue") && (ownRequest || can(actor, "leases.revoke.any"));

  return (
    <div className="max-w-5xl space-y-6">
      <Link href="/leases" className="text-sm text-indigo-700 hover:underline">
        ← All leases
      </Link>
      {issued && <IssuedBanner leaseId={lease.id} status={lease.status} />}
      <PageHeader title={<span className="font-mono text-xl">{lease.id}</span>} description={lease.purpose}>
        <div className="mt-2 flex flex-wrap items-center gap-3 text-sm">
          <StatusBadge status={lease.status} testId="lease-status" />
          <TimeLeft status={lease.status} expiresAt={lease.expiresAt} endedAt={lease.endedAt} testId="lease-expiry" />
        </div>
      </PageHeader>

      {lease.endedReason && (
        <p data-testid="lease-ended-reason" className="rounded-md border border-slate-200 bg-white px-4 py-3 text-sm">
          <span className="font-semibold">Ended:</span> {lease.endedReason}
          {lease.endedAt && <span className="text-slate-500"> · {formatUtc(lease.endedAt)}</span>}
          {lease.endedAt && (
            <Link href={`/leases/${lease.id}/receipt`} data-testid="lease-receipt-link" className="ml-3 font-medium text-indigo-700 hover:underline">
              Receipt →
            </Link>
          )}
        </p>
      )}

      {pending && (
        <Card title="Waiting for approval" testId="lease-approval-card">
          {mayDecide ? (
            <DecideLease leaseId={lease.id} />
          ) : (
            <p className="text-sm text-slate-700">
              {ownRequest && can(actor, "leases.approve") ? "You asked for this lease; another person has to approve it." : "A person with the approver role has to approve this lease before the run may do anything."}{" "}
              <Link href="/approvals" className="text-indigo-700 underline">
                Approval queue
              </Link>
            </p>
          )}
        </Card>
      )}

      <Card title="Lease">
        <dl className="grid gap-x-6 gap-y-3 text-sm sm:grid-cols-3">
          <Item label="Agent">
            <Link href={`/agents/${agent.id}`} className="font-mono text-indigo-700 hover:underline">
              {agent.name}
            </Link>
            {agent.status !== "active" && <span className="ml-2 text-xs text-rose-700">({agent.status})</span>}
          </Item>
          <Item label="Delegated by">{delegator ? `${delegator.name} (${delegator.email})` : lease.requestedBy || "—"}</Item>
          <Item label="Approved by">{approvedBy ? `${approvedBy.name} (${approvedBy.email})` : "—"}</Item>
          <Item label="Environment">
            <span className="font-mono">{lease.environment}</span>
          </Item>
          <Item label="Run">
            <Link href={`/runs/${lease.runId}`} className="font-mono text-xs text-indigo-700 hover:underline">
              {lease.runId}
            </Link>
          </Item>
          <Item label="Task reference">{lease.taskRef ? <span className="break-all">{lease.taskRef}</span> : "—"}</Item>
          <Item label="Intent">
            {lease.intent ? (
              <span className="font-mono text-xs break-all" data-testid="lease-intent">
                {Object.entries(lease.intent)
                  .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") : String(v)}`)
                  .join(" · ")}
              </span>
            ) : (
              "none declared"
            )}
          </Item>
          <Item label="Issued">{formatUtc(lease.createdAt)}</Item>
          <Item label="Expires">{formatUtc(lease.expiresAt)}</Item>
          <Item label="Subagents">{lease.maxDelegationDepth > 0 ? `up to ${lease.maxDelegationDepth} level(s) below` : "not allowed"}{lease.depth > 0 ? ` · this lease is at depth ${lease.depth}` : ""}</Item>
        </dl>
        <div className="mt-5 max-w-sm">
          <h3 className="mb-1 text-sm font-semibold">Budget</h3>
          <BudgetBar used={lease.toolCallsUsed} max={lease.maxToolCalls} testId="lease-budget" />
        </div>
      </Card>

      <div className="grid gap-6 md:grid-cols-3">
        <Card title="Allowed" className="md:col-span-2" testId="lease-grants">
          <ul className="space-y-1.5 text-sm">
            {lease.grants.map((g, i) => (
              <li key={`${g.tool}-${i}`} className="flex flex-wrap items-center gap-2">
                <span className="font-mono">{g.tool}</span>
                <RiskBadge risk={risk.get(g.tool) ?? "critical"} />
                <span className="text-slate-600">on {scopeText(g)}</span>
              </li>
            ))}
          </ul>
        </Card>
        <div className="space-y-6">
          <Card title="Never allowed" testId="lease-deny">
            {lease.deny.length ? <p className="font-mono text-sm">{lease.deny.join(", ")}</p> : <p className="text-sm text-slate-600">Nothing named; everything not granted is denied anyway.</p>}
          </Card>
          <Card title="Needs approval" testId="lease-require-approval">
            {lease.requireApproval.length ? <p className="font-mono text-sm">{lease.requireApproval.join(", ")}</p> : <p className="text-sm text-slate-600">Only what the tool catalog asks for (high and critical tools).</p>}
          </Card>
        </div>
      </div>

      {mayExtend && (
        <Card title="Extend" testId="lease-extend-card">
          <ExtendLease leaseId={lease.id} maxToolCalls={lease.maxToolCalls} />
        </Card>
      )}

      {mayRevoke && (
        <Card title="Revoke" testId="lease-revoke-card">
          <RevokeLease leaseId={lease.id} hasChildren={tree.some((t) => t.parentLeaseId === lease.id)} />
        </Card>
      )}

      <Card title="Delegation tree" testId="lease-tree">
        <DelegationTree tree={tree} currentId={lease.id} />
      </Card>

      <Card title={`Last decisions (${decisions.length})`} testId="lease-decisions">
        <DecisionList decisions={decisions} />
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
