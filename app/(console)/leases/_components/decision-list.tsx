import { StatusBadge } from "@/components/ui/badge";
import { tableClass, tdClass, thClass } from "@/components/ui/table";
import { formatUtc } from "@/components/ui/time";

type Decision = { id: string; tool: string; resource: { type: string; id: string } | null; outcome: string; reasons: { code: string; message: string }[]; createdAt: string };

export function DecisionList({ decisions }: { decisions: Decision[] }) {
  if (!decisions.length) return <p className="text-sm text-slate-600">No tool calls asked about yet. Decisions appear here as the run's enforcement point asks before each call.</p>;
  return (
    <div className="overflow-x-auto">
      <table className={tableClass}>
        <thead>
          <tr>
            <th className={thClass}>Time</th>
            <th className={thClass}>Tool</th>
            <th className={thClass}>Resource</th>
            <th className={thClass}>Outcome</th>
            <th className={thClass}>Reasons</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {decisions.map((d) => (
            <tr key={d.id} data-testid="decision-row">
              <td className={`${tdClass} whitespace-nowrap text-slate-600`}>{formatUtc(d.createdAt)}</td>
              <td className={`${tdClass} font-mono text-xs`}>{d.tool}</td>
              <td className={`${tdClass} font-mono text-xs`}>{d.resource ? `${d.resource.type} ${d.resource.id}` : "—"}</td>
              <td className={tdClass}>
                <StatusBadge status={d.outcome} testId="decision-outcome" />
              </td>
              <td className={tdClass}>
                {d.reasons.map((r) => (
                  <span key={r.code} title={r.message} className="mr-1 inline-block rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs">
                    {r.code}
                  </span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
