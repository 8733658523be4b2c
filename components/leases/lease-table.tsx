import Link from "next/link";
import { TimeLeft } from "./time-left";
import { StatusBadge } from "@/components/ui/badge";
import { BudgetBar } from "@/components/ui/budget-bar";
import { pinStartTd, pinStartTh, tableClass, TableWrap, tdClass, thClass } from "@/components/ui/table";
import { formatUtc } from "@/components/ui/time";
import type { LeaseView } from "@/lib/leases/schemas";

export function LeaseTable({ leases, agentNames, label = "Leases" }: { leases: LeaseView[]; agentNames: Map<string, string>; label?: string }) {
  return (
    <TableWrap label={label}>
      <table className={tableClass} data-testid="leases-table">
        <thead className="bg-slate-50">
          <tr>
            <th className={`${thClass} ${pinStartTh}`}>Lease</th>
            <th className={thClass}>Agent</th>
            <th className={thClass}>Purpose</th>
            <th className={thClass}>Env</th>
            <th className={thClass}>Status</th>
            <th className={thClass}>Budget</th>
            <th className={thClass}>Time left</th>
            <th className={thClass}>Issued</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {leases.map((l) => (
            <tr key={l.id} data-testid="lease-row" data-lease-id={l.id} className="hover:bg-slate-50">
              <td className={`${tdClass} ${pinStartTd} whitespace-nowrap`}>
                <Link href={`/leases/${l.id}`} className="font-mono text-xs text-indigo-700 hover:underline">
                  {l.id}
                </Link>
                {l.depth > 0 && <div className="text-xs text-slate-500">subagent · depth {l.depth}</div>}
              </td>
              <td className={tdClass}>{agentNames.get(l.agentId) ?? <span className="font-mono text-xs">{l.agentId}</span>}</td>
              <td className={`${tdClass} max-w-xs min-w-48`}>
                <span className="line-clamp-2">{l.purpose}</span>
              </td>
              <td className={`${tdClass} font-mono text-xs`}>{l.environment}</td>
              <td className={tdClass}>
                <StatusBadge status={l.status} testId="lease-status" />
              </td>
              <td className={tdClass}>
                <BudgetBar used={l.toolCallsUsed} max={l.maxToolCalls} />
              </td>
              <td className={`${tdClass} whitespace-nowrap`}>
                <TimeLeft status={l.status} expiresAt={l.expiresAt} endedAt={l.endedAt} />
              </td>
              <td className={`${tdClass} whitespace-nowrap text-slate-600`}>{formatUtc(l.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}
