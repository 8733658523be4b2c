import Link from "next/link";
import { Badge, StatusBadge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { tableClass, TableWrap, tdClass, thClass } from "@/components/ui/table";
import { formatDuration } from "@/components/ui/time";
import type { AgentView } from "@/lib/agents/schemas";

export function AgentTable({ agents }: { agents: AgentView[] }) {
  return (
    <TableWrap label="Agents">
      <table className={tableClass} data-testid="agents-table">
        <thead className="bg-slate-50">
          <tr>
            <th className={thClass}>Name</th>
            <th className={thClass}>Owner</th>
            <th className={thClass}>Environments</th>
            <th className={thClass}>Ceiling</th>
            <th className={thClass}>Status</th>
            <th className={thClass}>Last seen</th>
            <th className={thClass}>Flags</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {agents.map((a) => (
            <tr key={a.id} data-testid="agent-row" data-agent-name={a.name} className="hover:bg-slate-50">
              <td className={tdClass}>
                <Link href={`/agents/${a.id}`} className="font-medium text-indigo-700 hover:underline">
                  {a.name}
                </Link>
                {a.description && <div className="line-clamp-1 max-w-xs text-xs text-slate-500">{a.description}</div>}
              </td>
              <td className={tdClass}>{a.owner ? <span title={a.owner.email}>{a.owner.name}</span> : <span className="text-slate-500">none</span>}</td>
              <td className={tdClass}>
                <div className="flex flex-wrap gap-1">
                  {a.environments.map((e) => (
                    <span key={e} className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs">
                      {e}
                    </span>
                  ))}
                </div>
              </td>
              <td className={`${tdClass} whitespace-nowrap text-slate-700`} data-testid="agent-ceiling">
                {a.ceiling.tools.length} tools · {formatDuration(a.ceiling.maxExpiresIn)} · {a.ceiling.maxToolCalls} calls
              </td>
              <td className={tdClass}>
                <StatusBadge status={a.status} testId="agent-status" />
              </td>
              <td className={`${tdClass} whitespace-nowrap`}>
                <RelativeTime iso={a.lastSeenAt} />
              </td>
              <td className={tdClass}>
                <div className="flex flex-wrap gap-1">
                  {a.dormant && (
                    <Badge tone="slate" testId="agent-flag-dormant" title="No lease in the last 30 days">
                      dormant
                    </Badge>
                  )}
                  {a.orphaned && (
                    <Badge tone="red" testId="agent-flag-orphaned" title="Owner missing or disabled">
                      orphaned
                    </Badge>
                  )}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}
