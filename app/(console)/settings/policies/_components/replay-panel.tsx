"use client";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import type { AgentOption, Replay } from "./types";
import { StatusBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ErrorAlert } from "@/components/ui/error-alert";
import { Field, inputClass } from "@/components/ui/field";
import { RelativeTime } from "@/components/ui/relative-time";
import { tableClass, TableWrap, tdClass, thClass } from "@/components/ui/table";
import { apiFetch, type ApiError } from "@/lib/api/client";

const WINDOWS = [
  { value: "24h", label: "the last 24 hours", ms: 24 * 3600_000 },
  { value: "7d", label: "the last 7 days", ms: 7 * 24 * 3600_000 },
  { value: "30d", label: "the last 30 days", ms: 30 * 24 * 3600_000 },
] as const;

/** Re-evaluates past decisions under the draft (read-only) and shows the ones whose answer would change. */
export function ReplayPanel({ draft, draftValid, agents }: { draft: string; draftValid: boolean; agents: AgentOption[] }) {
  const [window, setWindow] = useState<(typeof WINDOWS)[number]["value"]>("7d");
  const replay = useMutation<Replay & { text: string }, ApiError>({
    mutationFn: async () => {
      const ms = WINDOWS.find((w) => w.value === window)!.ms;
      const r = await apiFetch<Replay>("/api/v1/policies/replay", { method: "POST", body: { text: draft, since: new Date(Date.now() - ms).toISOString() } });
      return { ...r, text: draft };
    },
  });
  const r = replay.data;
  const agentName = (id: string | null) => (id ? (agents.find((a) => a.id === id)?.name ?? id) : "—");
  const count = (rec: Record<string, number>) => Object.entries(rec).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return (
    <div>
      <div className="flex flex-wrap items-end gap-3">
        <Field label="Past decisions from">
          <select value={window} onChange={(e) => setWindow(e.target.value as typeof window)} className={inputClass}>
            {WINDOWS.map((w) => (
              <option key={w.value} value={w.value}>
                {w.label}
              </option>
            ))}
          </select>
        </Field>
        <Button variant="secondary" disabled={replay.isPending || !draftValid} onClick={() => replay.mutate()} data-testid="replay-run">
          {replay.isPending ? "Replaying…" : "Preview replay"}
        </Button>
        {!draftValid && <span className="text-xs text-slate-500">A draft that validates can be replayed.</span>}
      </div>
      <div className="mt-3">
        <ErrorAlert error={replay.error} testId="replay-error" />
      </div>
      <div aria-live="polite">
        {r && !replay.isPending && (
          <div className="mt-3 space-y-4" data-testid="replay-result" data-evaluated={r.evaluated} data-changed={r.changedTotal}>
            <p className="text-sm">
              {r.evaluated} past {r.evaluated === 1 ? "decision" : "decisions"} evaluated in {Math.round(r.ms)} ms: <strong>{r.changedTotal}</strong> would change.
              {r.text !== draft && <span className="ml-2 text-amber-800">The draft has changed since: preview again.</span>}
            </p>
            {r.changedTotal > 0 && (
              <>
                <div className="grid gap-4 sm:grid-cols-2">
                  <CountTable label="Changed by tool" head="Tool" rows={count(r.byTool)} testId="replay-by-tool" mono />
                  <CountTable label="Changed by agent" head="Agent" rows={count(r.byAgent).map(([id, n]) => [agentName(id), n] as [string, number])} testId="replay-by-agent" />
                </div>
                <TableWrap label="Decisions that would change">
                  <table className={tableClass}>
                    <thead className="bg-slate-50">
                      <tr>
                        <th className={thClass}>When</th>
                        <th className={thClass}>Tool</th>
                        <th className={thClass}>Agent</th>
                        <th className={thClass}>From → to</th>
                        <th className={thClass}>Policies</th>
                        <th className={thClass}>Decision</th>
                      </tr>
                    </thead>
                    <tbody className="divide-y divide-slate-100">
                      {r.changed.map((c) => (
                        <tr key={c.decisionId} data-testid="replay-changed" data-from={c.from} data-to={c.to} data-tool={c.tool}>
                          <td className={`${tdClass} text-xs whitespace-nowrap`}>
                            <RelativeTime iso={c.at} />
                          </td>
                          <td className={`${tdClass} font-mono text-xs`}>{c.tool}</td>
                          <td className={`${tdClass} text-xs`}>{agentName(c.agentId)}</td>
                          <td className={`${tdClass} whitespace-nowrap`}>
                            <StatusBadge status={c.from} testId="replay-from" /> → <StatusBadge status={c.to} testId="replay-to" />
                          </td>
                          <td className={`${tdClass} font-mono text-xs`}>{c.policyIds.join(", ") || "—"}</td>
                          <td className={tdClass}>
                            {/* To the decision's run; a replay answered before runId was listed falls back to its audit entry. */}
                            <Link
                              href={c.runId ? `/runs/${encodeURIComponent(c.runId)}` : `/audit?decisionId=${encodeURIComponent(c.decisionId)}`}
                              className="font-mono text-xs text-indigo-700 hover:underline"
                              data-testid="replay-decision-link"
                            >
                              {c.decisionId}
                            </Link>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </TableWrap>
                {r.changed.length < r.changedTotal && <p className="text-xs text-slate-500">The first {r.changed.length} of {r.changedTotal} are listed.</p>}
              </>
            )}
          </div>
        )}
      </div>
    </div>
  );
}

function CountTable({ label, head, rows, testId, mono }: { label: string; head: string; rows: [string, number][]; testId: string; mono?: boolean }) {
  return (
    <TableWrap label={label}>
      <table className={tableClass} data-testid={testId}>
        <thead className="bg-slate-50">
          <tr>
            <th className={thClass}>{head}</th>
            <th className={thClass}>Would change</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rows.map(([k, n]) => (
            <tr key={k}>
              <td className={`${tdClass} ${mono ? "font-mono text-xs" : "text-xs"}`}>{k}</td>
              <td className={`${tdClass} font-mono text-xs`}>{n}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}
