import Link from "next/link";
import { Badge, StatusBadge } from "@/components/ui/badge";
import { BudgetBar } from "@/components/ui/budget-bar";
import { EmptyState } from "@/components/ui/empty-state";
import { Field, inputClass } from "@/components/ui/field";
import { FilterForm } from "@/components/ui/filter-form";
import { Forbidden } from "@/components/ui/forbidden";
import { PageHeader } from "@/components/ui/page-header";
import { tableClass, TableWrap, tdClass, thClass } from "@/components/ui/table";
import { formatUtc } from "@/components/ui/time";
import { listAgents } from "@/lib/agents/queries";
import { firstParams, type SearchParams } from "@/lib/api/search-params";
import { pageAccess } from "@/lib/auth/page-guard";
import { db } from "@/lib/db";
import { listDelegators, listRuns, RunListQuery } from "@/lib/runs/list";

export const metadata = { title: "Runs" };

const WINDOWS = [
  { value: "1h", label: "Last hour" },
  { value: "24h", label: "Last 24 hours" },
  { value: "7d", label: "Last 7 days" },
  { value: "30d", label: "Last 30 days" },
];

export default async function RunsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const access = await pageAccess("runs.read", "/runs");
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  const raw = firstParams(await searchParams);
  const parsed = RunListQuery.safeParse({ agentId: raw.agentId, delegatorId: raw.delegatorId, status: raw.status, since: raw.since });
  const query = parsed.success ? parsed.data : RunListQuery.parse({});
  const [runs, agents, delegators] = await Promise.all([listRuns(db(), query), listAgents(db(), {}), listDelegators(db())]);
  const filtered = Boolean(query.agentId || query.delegatorId || query.status || query.since);

  return (
    <div>
      <PageHeader title="Runs" description="Agent runs and the leases they hold, newest first. Open a run to watch its timeline live." />
      <FilterForm label="Filter runs">
        <Field label="Agent">
          <select name="agentId" defaultValue={query.agentId ?? ""} className={inputClass} data-testid="filter-agent">
            <option value="">Any agent</option>
            {agents.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Delegated by">
          <select name="delegatorId" defaultValue={query.delegatorId ?? ""} className={inputClass} data-testid="filter-delegator">
            <option value="">Anyone</option>
            {delegators.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.email})
              </option>
            ))}
          </select>
        </Field>
        <Field label="Status">
          <select name="status" defaultValue={query.status ?? ""} className={inputClass} data-testid="filter-status">
            <option value="">Live or ended</option>
            <option value="live">Live</option>
            <option value="ended">Ended</option>
          </select>
        </Field>
        <Field label="Started">
          <select name="since" defaultValue={query.since ?? ""} className={inputClass} data-testid="filter-since">
            <option value="">Any time</option>
            {WINDOWS.map((w) => (
              <option key={w.value} value={w.value}>
                {w.label}
              </option>
            ))}
          </select>
        </Field>
      </FilterForm>
      {!parsed.success && (
        <p role="alert" className="mb-3 text-sm text-amber-800">
          Some filters in the address were not understood and are ignored.
        </p>
      )}
      <p className="mb-2 text-sm text-slate-600" aria-live="polite" data-testid="runs-count">
        {runs.length === query.limit ? `latest ${runs.length}` : runs.length} {runs.length === 1 ? "run" : "runs"}
        {filtered ? " matching" : ""}
      </p>
      {runs.length ? (
        <TableWrap label="Runs">
          <table className={tableClass} data-testid="runs-table">
            <thead className="bg-slate-50">
              <tr>
                <th className={thClass}>Run</th>
                <th className={thClass}>Agent</th>
                <th className={thClass}>Purpose</th>
                <th className={thClass}>Delegated by</th>
                <th className={thClass}>Status</th>
                <th className={thClass}>Budget</th>
                <th className={thClass}>Started</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {runs.map((r) => (
                <tr key={r.id} data-testid="run-row" data-run-id={r.id} className="hover:bg-slate-50">
                  <td className={tdClass}>
                    <Link href={`/runs/${r.id}`} className="font-mono text-xs text-indigo-700 hover:underline">
                      {r.id}
                    </Link>
                    {r.parentRunId && (
                      <div className="text-xs text-slate-500">
                        subagent of{" "}
                        <Link href={`/runs/${r.parentRunId}`} className="font-mono hover:underline">
                          {r.parentRunId}
                        </Link>
                      </div>
                    )}
                    {r.subagentRuns > 0 && <div className="text-xs text-slate-500">{r.subagentRuns} subagent run{r.subagentRuns === 1 ? "" : "s"}</div>}
                  </td>
                  <td className={tdClass}>
                    <Link href={`/agents/${r.agent.id}`} className="font-mono text-xs whitespace-nowrap text-indigo-700 hover:underline">
                      {r.agent.name}
                    </Link>
                  </td>
                  <td className={`${tdClass} max-w-xs`}>
                    <span className="line-clamp-2">{r.purpose}</span>
                  </td>
                  <td className={`${tdClass} text-slate-700`}>{r.delegator ? r.delegator.name : (r.requestedBy ?? "—")}</td>
                  <td className={tdClass}>
                    <div className="flex flex-wrap items-center gap-1.5">
                      {r.live ? (
                        <Badge tone="green" testId="run-status">
                          live
                        </Badge>
                      ) : (
                        <Badge tone="slate" testId="run-status">
                          ended
                        </Badge>
                      )}
                      {r.leases.map((l) => (
                        <Link key={l.id} href={`/leases/${l.id}`} className="rounded hover:bg-slate-100" aria-label={`Lease ${l.id}: ${l.status.replaceAll("_", " ")}`}>
                          <StatusBadge status={l.status} testId="run-lease-status" />
                        </Link>
                      ))}
                    </div>
                  </td>
                  <td className={tdClass}>{r.budget ? <BudgetBar used={r.budget.used} max={r.budget.max} /> : "—"}</td>
                  <td className={`${tdClass} whitespace-nowrap text-slate-600`}>{formatUtc(r.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : filtered ? (
        <EmptyState title="No run matches these filters">
          <Link href="/runs" className="text-indigo-700 underline">
            Clear the filters
          </Link>
        </EmptyState>
      ) : (
        <EmptyState title="No runs yet">
          A run appears when a lease is issued for it (Leases → Issue lease, or an enforcement point). To watch one move, run <code className="font-mono">npm run demo:agent</code>.
        </EmptyState>
      )}
    </div>
  );
}
