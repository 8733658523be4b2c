"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { AddConnection } from "./add-connection";
import { CredentialsPanel } from "./credentials-panel";
import { MappingEditor } from "./mapping-editor";
import { TestPanel } from "./test-panel";
import type { CatalogTool, ConnectionTestResult, ConnectionView, CredentialView, EpOption } from "./types";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { ErrorAlert } from "@/components/ui/error-alert";
import { tableClass, TableWrap, tdClass, thClass } from "@/components/ui/table";
import { formatUtc } from "@/components/ui/time";
import { apiFetch } from "@/lib/api/client";

type Props = { connections: ConnectionView[]; credentials: Record<string, CredentialView[]>; points: EpOption[]; allPoints: Record<string, string>; tools: CatalogTool[] };

export function ConnectionsSection({ connections, credentials, points, allPoints, tools }: Props) {
  return (
    <div className="space-y-6">
      {connections.length ? (
        <ul className="space-y-6" aria-label="Connections" data-testid="connections-list">
          {connections.map((c) => (
            <li key={c.id}>
              <ConnectionCard connection={c} credentials={credentials[c.id] ?? []} points={points} allPoints={allPoints} tools={tools} />
            </li>
          ))}
        </ul>
      ) : (
        <EmptyState title="No connections yet" testId="connections-empty">
          Add the MCP servers your agents reach through the gateway, then map their tools to catalog tools.
        </EmptyState>
      )}
      <AddConnection points={points} />
    </div>
  );
}

function TransportSummary({ c }: { c: ConnectionView }) {
  const t = c.transport;
  if (t.type === "stdio")
    return (
      <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
        <dt className="text-slate-500">stdio</dt>
        <dd className="font-mono text-xs break-all" data-testid="connection-command">
          {[t.command, ...t.args].join(" ")}
        </dd>
        <dt className="text-slate-500">env</dt>
        <dd className="font-mono text-xs">{t.envNames.length ? t.envNames.map((n) => `${n}=••••`).join("  ") : "—"}</dd>
      </dl>
    );
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
      <dt className="text-slate-500">http</dt>
      <dd className="font-mono text-xs break-all" data-testid="connection-url">
        {t.url}
      </dd>
      <dt className="text-slate-500">headers</dt>
      <dd className="font-mono text-xs">{t.headerNames.length ? t.headerNames.map((n) => `${n}: ••••`).join("  ") : "—"}</dd>
    </dl>
  );
}

function ConnectionCard({ connection: c, credentials, points, allPoints, tools }: { connection: ConnectionView; credentials: CredentialView[]; points: EpOption[]; allPoints: Record<string, string>; tools: CatalogTool[] }) {
  const router = useRouter();
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [tested, setTested] = useState<ConnectionTestResult | null>(null);
  const remove = useMutation({
    mutationFn: () => apiFetch(`/api/v1/connections/${c.id}`, { method: "DELETE" }),
    onSuccess: () => router.refresh(),
  });
  const titleId = `con-${c.id}-title`;
  return (
    <section aria-labelledby={titleId} data-testid="connection-card" data-name={c.name} className="rounded-lg border border-slate-200 bg-white p-4 shadow-xs sm:p-5">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <h3 id={titleId} className="font-mono text-base font-semibold">
            {c.name}
          </h3>
          <p className="text-xs text-slate-500">
            version {c.version} · updated {formatUtc(c.updatedAt)}
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          <Button size="sm" variant="secondary" onClick={() => setEditing((e) => !e)} aria-expanded={editing} data-testid="connection-edit">
            {editing ? "Close editor" : "Edit mapping"}
            <span className="sr-only"> of {c.name}</span>
          </Button>
          {confirming ? (
            <>
              <Button size="sm" variant="danger" disabled={remove.isPending} onClick={() => remove.mutate()} data-testid="connection-delete-confirm">
                Confirm delete<span className="sr-only"> {c.name}</span>
              </Button>
              <Button size="sm" variant="secondary" onClick={() => setConfirming(false)}>
                Cancel
              </Button>
            </>
          ) : (
            <Button size="sm" variant="secondary" onClick={() => setConfirming(true)} data-testid="connection-delete">
              Delete<span className="sr-only"> connection {c.name}</span>
            </Button>
          )}
        </div>
      </div>
      {confirming && <p className="mt-2 text-sm text-rose-800">Gateways stop serving its tools, and its credentials are deleted with it.</p>}
      <ErrorAlert error={remove.error} />

      <div className="mt-3 grid gap-4 lg:grid-cols-2">
        <TransportSummary c={c} />
        <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
          <dt className="text-slate-500">served by</dt>
          <dd data-testid="connection-eps">{c.enforcementPointIds.length ? c.enforcementPointIds.map((id) => allPoints[id] ?? id).join(", ") : <span className="text-amber-800">no enforcement point yet</span>}</dd>
          <dt className="text-slate-500">resources/read</dt>
          <dd className="font-mono text-xs">{c.resources ? `decided as ${c.resources.tool}` : "refused"}</dd>
          <dt className="text-slate-500">prompts/get</dt>
          <dd className="font-mono text-xs">{c.prompts ? `decided as ${c.prompts.tool}` : "refused"}</dd>
        </dl>
      </div>

      <h4 className="mt-4 mb-2 text-sm font-semibold">Tool mapping</h4>
      {editing ? (
        <MappingEditor connection={c} points={points} tools={tools} upstreamTools={tested?.tools.map((t) => t.name) ?? []} onDone={() => setEditing(false)} />
      ) : c.tools.length ? (
        <TableWrap label={`Tool mapping of ${c.name}`}>
          <table className={tableClass} data-testid="mapping-table">
            <thead className="bg-slate-50">
              <tr>
                <th className={thClass}>Upstream tool</th>
                <th className={thClass}>Decided as</th>
                <th className={thClass}>Resource</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {c.tools.map((m) => (
                <tr key={m.upstream} data-testid="mapping-row">
                  <td className={`${tdClass} font-mono text-xs`}>{m.upstream}</td>
                  <td className={`${tdClass} font-mono text-xs`}>{m.tool}</td>
                  <td className={`${tdClass} text-xs`}>{m.resource ? <span className="font-mono">{m.resource.type} ← argument {m.resource.argument}</span> : <span className="text-slate-500">none</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : (
        <p className="text-sm text-slate-600">No tool is mapped: the gateway shows none of this server&apos;s tools. Test it to see what it offers, then edit the mapping.</p>
      )}

      <TestPanel connection={c} result={tested} onResult={setTested} />
      <CredentialsPanel connection={c} credentials={credentials} />
    </section>
  );
}
