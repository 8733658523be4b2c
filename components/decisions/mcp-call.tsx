import type { McpCall } from "@/lib/decisions/mcp-call";

/** One line: which MCP session asked, through which connection, for which upstream tool or method. */
export function McpCallLine({ call }: { call: McpCall }) {
  const what = call.upstreamTool ?? call.method;
  return (
    <span className="inline-flex flex-wrap items-center gap-x-1.5 text-xs text-slate-600" data-testid="mcp-call-line">
      <span className="rounded bg-violet-50 px-1.5 py-0.5 font-medium text-violet-800 ring-1 ring-violet-600/20 ring-inset">MCP</span>
      {call.connection && what && (
        <span className="font-mono">
          {call.connection}/{what}
        </span>
      )}
      {!call.connection && what && <span className="font-mono">{what}</span>}
      {call.session && (
        <span title={`MCP session ${call.session}`}>
          session <span className="font-mono">{call.session.length > 12 ? `${call.session.slice(0, 8)}…` : call.session}</span>
        </span>
      )}
    </span>
  );
}

/**
 * The exact call as the enforcement point sent it: session, connection, upstream tool or method, and the
 * arguments (or, when only their digest was sent, the digest). Approvals are bound to that digest.
 */
export function McpCallDetails({ call, testId = "mcp-call", showArguments = true }: { call: McpCall; testId?: string; showArguments?: boolean }) {
  return (
    <div data-testid={testId} className="space-y-2 text-sm">
      <dl className="grid grid-cols-[8rem_1fr] gap-x-3 gap-y-1">
        {(call.session || call.connection || call.upstreamTool || call.method) && (
          <>
            <dt className="text-slate-500">MCP session</dt>
            <dd className="font-mono text-xs break-all" data-testid="mcp-session">
              {call.session ?? "— (stdio: one client per process)"}
            </dd>
          </>
        )}
        {call.connection && (
          <>
            <dt className="text-slate-500">Connection</dt>
            <dd className="font-mono text-xs">{call.connection}</dd>
          </>
        )}
        {(call.upstreamTool || call.method) && (
          <>
            <dt className="text-slate-500">{call.upstreamTool ? "Upstream tool" : "Method"}</dt>
            <dd className="font-mono text-xs" data-testid="mcp-upstream-tool">
              {call.upstreamTool ?? call.method}
            </dd>
          </>
        )}
      </dl>
      {showArguments && (
        <div>
          <p className="text-xs font-semibold tracking-wide text-slate-500 uppercase">Arguments as sent</p>
          {call.arguments ? (
            <pre data-testid="mcp-arguments" className="mt-1 max-h-72 overflow-auto rounded-md border border-slate-200 bg-slate-50 p-2 font-mono text-xs break-all whitespace-pre-wrap text-slate-800">
              {JSON.stringify(call.arguments, null, 2)}
            </pre>
          ) : (
            <p className="mt-1 text-xs text-slate-600">{call.argumentsDigest ? "Not sent: the enforcement point sent only their digest." : "None recorded."}</p>
          )}
          {call.argumentsDigest && <p className="mt-1 font-mono text-[11px] break-all text-slate-500">sha-256 {call.argumentsDigest}</p>}
        </div>
      )}
    </div>
  );
}
