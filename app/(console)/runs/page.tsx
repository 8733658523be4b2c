import Link from "next/link";
import { StatusBadge } from "@/components/ui/badge";
import { EmptyState } from "@/components/ui/empty-state";
import { Forbidden } from "@/components/ui/forbidden";
import { PageHeader } from "@/components/ui/page-header";
import { tableClass, TableWrap, tdClass, thClass } from "@/components/ui/table";
import { formatUtc } from "@/components/ui/time";
import { pageAccess } from "@/lib/auth/page-guard";
import { db } from "@/lib/db";
import { listRecentRuns } from "@/lib/runs/queries";

export const metadata = { title: "Runs" };

export default async function RunsPage() {
  const access = await pageAccess("runs.read", "/runs");
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  const runs = await listRecentRuns(db(), 100);
  return (
    <div>
      <PageHeader title="Runs" description="The latest 100 agent runs and the leases they hold. A run opens when its first lease is issued." />
      {runs.length ? (
        <TableWrap label="Runs">
          <table className={tableClass} data-testid="runs-table">
            <thead className="bg-slate-50">
              <tr>
                <th className={thClass}>Run</th>
                <th className={thClass}>Agent</th>
                <th className={thClass}>Purpose</th>
                <th className={thClass}>Started</th>
                <th className={thClass}>Leases</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {runs.map((r) => (
                <tr key={r.id} data-testid="run-row">
                  <td className={`${tdClass} font-mono text-xs`}>
                    {r.id}
                    {r.parentRunId && <div className="text-slate-500">sub-run of {r.parentRunId}</div>}
                  </td>
                  <td className={tdClass}>
                    <Link href={`/agents/${r.agent.id}`} className="font-mono text-xs text-indigo-700 hover:underline">
                      {r.agent.name}
                    </Link>
                  </td>
                  <td className={`${tdClass} max-w-sm`}>{r.purpose}</td>
                  <td className={`${tdClass} whitespace-nowrap text-slate-600`}>{formatUtc(r.createdAt)}</td>
                  <td className={tdClass}>
                    <ul className="flex flex-wrap gap-1.5">
                      {r.leases.map((l) => (
                        <li key={l.id}>
                          <Link href={`/leases/${l.id}`} className="inline-flex items-center gap-1 rounded hover:bg-slate-100" aria-label={`Lease ${l.id}: ${l.status.replaceAll("_", " ")}`}>
                            <StatusBadge status={l.status} testId="run-lease-status" />
                          </Link>
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : (
        <EmptyState title="No runs yet">A run appears when a lease is issued for it (from Leases → Issue lease, or by an enforcement point).</EmptyState>
      )}
    </div>
  );
}
