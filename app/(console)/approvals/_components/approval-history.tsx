"use client";
import { useRouter } from "next/navigation";
import { useCallback, useState } from "react";
import { EscalationDetail, type Viewer } from "./escalation-detail";
import { KIND_LABEL, decidedBy, resourceText, type QueueItem } from "./prompt-text";
import { useEscalationStream } from "./use-escalations";
import { RiskBadge, StatusBadge } from "@/components/ui/badge";
import { EmptyState } from "@/components/ui/empty-state";
import { tableClass, TableWrap, tdClass, thClass } from "@/components/ui/table";
import { formatUtc } from "@/components/ui/time";

/** Decided escalations (server-read with the URL's filters); the stream refreshes them as decisions land. */
export function ApprovalHistory({ items, initialSelectedId, viewer, filtered }: { items: QueueItem[]; initialSelectedId: string | null; viewer: Viewer; filtered: boolean }) {
  const router = useRouter();
  useEscalationStream(useCallback(() => router.refresh(), [router]));
  const [selectedId, setSelectedId] = useState<string | null>(initialSelectedId);
  const selected = items.find((i) => i.id === selectedId);
  // With the detail open beside it, the table keeps only what finds a row; the detail has the rest.
  const compact = Boolean(selected);

  function select(id: string) {
    const next = id === selectedId ? null : id;
    setSelectedId(next);
    const params = new URLSearchParams(window.location.search);
    if (next) params.set("escalation", next);
    else params.delete("escalation");
    const qs = params.toString();
    window.history.replaceState(null, "", qs ? `?${qs}` : window.location.pathname);
  }

  if (!items.length) {
    return <EmptyState title={filtered ? "No decided request matches these filters" : "Nothing decided yet"}>{filtered ? "Clear the filters to see every decision." : "Approved, denied and expired requests are kept here."}</EmptyState>;
  }
  return (
    <div className={`grid items-start gap-4 ${selected ? "xl:grid-cols-[minmax(0,1fr)_minmax(28rem,38rem)]" : ""}`}>
      <TableWrap label="Decided requests">
        <table className={tableClass} data-testid="history-table">
          <thead className="bg-slate-50">
            <tr>
              <th className={thClass}>Decided</th>
              <th className={thClass}>Outcome</th>
              <th className={thClass}>Request</th>
              {!compact && <th className={thClass}>Agent</th>}
              {!compact && <th className={thClass}>Risk</th>}
              <th className={thClass}>Decided by</th>
              {!compact && <th className={thClass}>Reason</th>}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {items.map((item) => {
              const on = item.id === selectedId;
              const reason = item.approvals.find((v) => (item.status === "denied" ? v.verdict === "deny" : v.verdict === "approve") && v.reason)?.reason;
              return (
                <tr
                  key={item.id}
                  data-testid="history-row"
                  data-escalation-id={item.id}
                  data-status={item.status}
                  aria-selected={on}
                  tabIndex={0}
                  onClick={() => select(item.id)}
                  onKeyDown={(e) => {
                    if (e.key === "Enter" || e.key === " ") {
                      e.preventDefault();
                      select(item.id);
                    }
                  }}
                  className={`cursor-pointer focus-visible:outline-2 focus-visible:outline-indigo-600 ${on ? "bg-indigo-50" : "hover:bg-slate-50"}`}
                >
                  <td className={`${tdClass} whitespace-nowrap text-slate-600`}>{formatUtc(item.decidedAt ?? item.expiresAt)}</td>
                  <td className={tdClass}>
                    <StatusBadge status={item.status} testId="history-status" />
                  </td>
                  <td className={tdClass}>
                    <div className="text-xs text-slate-500">{KIND_LABEL[item.kind]}</div>
                    <div className="font-mono text-xs">{item.tool ? `${item.tool} on ${resourceText(item.resource)}` : `lease ${item.leaseId}`}</div>
                  </td>
                  {!compact && <td className={`${tdClass} font-mono text-xs whitespace-nowrap`}>{item.agent.name}</td>}
                  {!compact && (
                    <td className={tdClass}>
                      <RiskBadge risk={item.risk} />
                    </td>
                  )}
                  <td className={`${tdClass} text-xs`}>{decidedBy(item) ?? (item.status === "expired" ? "nobody (expired)" : "—")}</td>
                  {!compact && (
                    <td className={`${tdClass} max-w-64 truncate text-xs text-slate-600`} title={reason}>
                      {reason ?? "—"}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableWrap>
      {selected && (
        <div className="xl:sticky xl:top-4">
          <EscalationDetail item={selected} viewer={viewer} />
        </div>
      )}
    </div>
  );
}
