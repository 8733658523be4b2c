"use client";
import { useMutation } from "@tanstack/react-query";
import type { ConnectionTestResult, ConnectionView } from "./types";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ErrorAlert } from "@/components/ui/error-alert";
import { tableClass, TableWrap, tdClass, thClass } from "@/components/ui/table";
import { apiFetch, type ApiError } from "@/lib/api/client";

/** "Test it": Lanyard connects to the upstream as the gateway would and lists its tools against the mapping. */
export function TestPanel({ connection: c, result, onResult }: { connection: ConnectionView; result: ConnectionTestResult | null; onResult: (r: ConnectionTestResult) => void }) {
  const test = useMutation<ConnectionTestResult, ApiError>({
    mutationFn: () => apiFetch(`/api/v1/connections/${c.id}/test`, { method: "POST", body: {} }),
    onSuccess: onResult,
  });
  return (
    <div className="mt-4">
      <div className="flex flex-wrap items-center gap-3">
        <Button size="sm" variant="secondary" disabled={test.isPending} onClick={() => test.mutate()} data-testid="connection-test">
          {test.isPending ? "Testing…" : "Test it"}
          <span className="sr-only"> (connect to {c.name} and list its tools)</span>
        </Button>
        <span className="text-xs text-slate-500">{c.transport.type === "stdio" ? "Runs the command on the Lanyard server, with its stored variables (not the credentials a gateway is released per call)." : "Connects from the Lanyard server with the stored headers."}</span>
      </div>
      <ErrorAlert error={test.error} />
      <div aria-live="polite">
        {result && !test.isPending && (
          <div className="mt-3" data-testid="connection-test-result" data-ok={String(result.ok)}>
            {result.ok ? (
              <>
                <p className="mb-2 text-sm">
                  <Badge tone="green">connected</Badge> <span className="font-mono">{result.server ? `${result.server.name} ${result.server.version}` : "the server"}</span> offers {result.tools.length} {result.tools.length === 1 ? "tool" : "tools"} ({result.tools.filter((t) => t.mappedTo).length} mapped) · {result.durationMs} ms
                </p>
                {result.missing.length > 0 && (
                  <p className="mb-2 text-sm text-amber-900" data-testid="connection-test-missing">
                    Mapped but not offered by the server: <span className="font-mono">{result.missing.join(", ")}</span>
                  </p>
                )}
                {result.tools.length > 0 && (
                  <TableWrap label={`Tools ${c.name} offers`}>
                    <table className={tableClass}>
                      <thead className="bg-slate-50">
                        <tr>
                          <th className={thClass}>Upstream tool</th>
                          <th className={thClass}>Description</th>
                          <th className={thClass}>Through the gateway</th>
                        </tr>
                      </thead>
                      <tbody className="divide-y divide-slate-100">
                        {result.tools.map((t) => (
                          <tr key={t.name} data-testid="tested-tool" data-mapped={t.mappedTo ?? ""}>
                            <td className={`${tdClass} font-mono text-xs`}>{t.name}</td>
                            <td className={`${tdClass} max-w-md text-xs text-slate-600`}>{t.description ? (t.description.length > 160 ? `${t.description.slice(0, 160)}…` : t.description) : "—"}</td>
                            <td className={`${tdClass} text-xs whitespace-nowrap`}>{t.mappedTo ? <span className="font-mono">decided as {t.mappedTo}</span> : <Badge tone="slate">unmapped: invisible</Badge>}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </TableWrap>
                )}
              </>
            ) : (
              <div role="alert" className="rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-900">
                <p className="font-medium">Could not list its tools ({result.durationMs} ms)</p>
                <p className="mt-1 font-mono text-xs break-words" data-testid="connection-test-error">
                  {result.error}
                </p>
              </div>
            )}
          </div>
        )}
      </div>
    </div>
  );
}
