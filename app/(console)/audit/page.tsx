import { StatusBadge } from "@/components/ui/badge";
import { EmptyState } from "@/components/ui/empty-state";
import { Forbidden } from "@/components/ui/forbidden";
import { PageHeader } from "@/components/ui/page-header";
import { tableClass, TableWrap, tdClass, thClass } from "@/components/ui/table";
import { formatUtc } from "@/components/ui/time";
import { listLatestAuditEvents } from "@/lib/audit/queries";
import { pageAccess } from "@/lib/auth/page-guard";
import { db } from "@/lib/db";

export const metadata = { title: "Audit" };

export default async function AuditPage() {
  const access = await pageAccess("audit.read", "/audit");
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  const events = await listLatestAuditEvents(db(), 100);
  return (
    <div>
      <PageHeader title="Audit" description="The latest 100 events of the append-only, hash-chained audit log, newest first." />
      {events.length ? (
        <TableWrap label="Audit events">
          <table className={tableClass} data-testid="audit-table">
            <thead className="bg-slate-50">
              <tr>
                <th className={thClass}>Time</th>
                <th className={thClass}>Action</th>
                <th className={thClass}>Actor</th>
                <th className={thClass}>Subject</th>
                <th className={thClass}>Outcome</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {events.map((e) => (
                <tr key={e.seq} data-testid="audit-row">
                  <td className={`${tdClass} whitespace-nowrap text-slate-600`}>{formatUtc(e.at)}</td>
                  <td className={`${tdClass} font-mono text-xs`}>{e.action}</td>
                  <td className={tdClass}>
                    {e.actor}
                    <span className="ml-1 text-xs text-slate-500">({e.actorType.replaceAll("_", " ")})</span>
                  </td>
                  <td className={`${tdClass} font-mono text-xs`}>{e.subject ?? "—"}</td>
                  <td className={tdClass}>{e.outcome ? <StatusBadge status={e.outcome} testId="audit-outcome" /> : <span className="text-slate-400">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : (
        <EmptyState title="No audit events yet">Every console action and every decision is recorded here as it happens.</EmptyState>
      )}
    </div>
  );
}
