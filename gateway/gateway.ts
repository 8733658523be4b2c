import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { annotationsFor, deriveResource, exposeTools, usableTools, type ExposedTool } from "./mapping";
import { argumentsDigest, CallDenied, LanyardRefused, LanyardUnavailable, type Introspection, type LanyardClient, type Reason } from "./sdk";
import { UpstreamPool, type Log } from "./upstreams";

export type GatewayOptions = {
  lanyard: LanyardClient;
  env?: NodeJS.ProcessEnv;
  log?: Log;
  /** the environment decisions are asked for (context.environment); absent: not sent */
  environment?: string;
  /** how often each session re-reads its lease to announce tools/list_changed; default 5000 ms */
  leaseRefreshMs?: number;
  /** how often the connections of this key are re-read; default 30000 ms */
  connectionsRefreshMs?: number;
  /** seconds per escalation long-poll round (progress is sent between rounds); default 20 */
  escalationPollSeconds?: number;
};

const text = (t: string): CallToolResult => ({ isError: true, content: [{ type: "text", text: t }] });
const reasonsText = (reasons: Reason[]) => reasons.map((r) => `${r.code}: ${r.message}`).join("; ");

/** Why a lease opens no session, for the error the client sees. */
export function refusal(lease: Introspection): string {
  return `Lanyard refused the lease token: ${reasonsText(lease.reasons) || "the lease is not active"}`;
}

/**
 * The enforcement point: one upstream pool and tool table for the process, one MCP server per agent
 * session. Every tools/call is decided by Lanyard before anything reaches an upstream.
 */
export class Gateway {
  readonly pool: UpstreamPool;
  private tools = new Map<string, ExposedTool>();
  private sessions = new Set<{ notifyToolsChanged: () => void }>();
  private timers: NodeJS.Timeout[] = [];
  private readonly log: Log;

  constructor(private readonly o: GatewayOptions) {
    this.log = o.log ?? ((m) => process.stderr.write(`[gateway] ${m}\n`));
    this.pool = new UpstreamPool(o.env ?? process.env, this.log);
    this.pool.onToolsChanged = () => {
      this.tools = exposeTools(this.pool.list());
      for (const s of this.sessions) s.notifyToolsChanged();
    };
  }

  /** Reads this key's connections and starts their upstreams; then keeps following changes. */
  async start(): Promise<void> {
    await this.pool.sync(await this.o.lanyard.connections());
    const every = this.o.connectionsRefreshMs ?? 30_000;
    this.timers.push(
      setInterval(() => {
        this.o.lanyard
          .connections()
          .then((c) => this.pool.sync(c))
          .catch((err) => this.log(`reading connections failed (keeping the current ones): ${(err as Error).message}`));
      }, every).unref(),
    );
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.pool.close();
  }

  /** The lease as Lanyard sees it now; a session is opened only for an active one. */
  introspect(leaseToken: string): Promise<Introspection> {
    return this.o.lanyard.introspect(leaseToken);
  }

  /** An MCP server for one agent session bound to one lease token. */
  createSession(leaseToken: string, sessionLabel: () => string | undefined): Server {
    const server = new Server({ name: "lanyard-gateway", version: "0.1.0" }, { capabilities: { tools: { listChanged: true } } });
    let lastSeen = "";
    const handle = {
      notifyToolsChanged: () => {
        void server.sendToolListChanged().catch(() => {});
      },
    };
    const signature = (l: Introspection) => JSON.stringify([l.active, l.tools.map((t) => [t.tool, t.stepUp]).sort()]);

    server.setRequestHandler(ListToolsRequestSchema, async () => {
      let lease: Introspection;
      try {
        lease = await this.introspect(leaseToken);
      } catch (err) {
        throw new McpError(ErrorCode.InternalError, `tools/list refused: ${(err as Error).message} (fail closed)`);
      }
      lastSeen = signature(lease);
      return {
        tools: usableTools(this.tools, lease).map((t) => ({
          name: t.name,
          title: t.definition.title,
          description: t.definition.description,
          inputSchema: t.definition.inputSchema,
          annotations: annotationsFor(t, lease),
        })),
      };
    });

    server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
      const t = this.tools.get(req.params.name);
      // Unmapped, unknown or not yet started: the same answer, so nothing is learnt by probing names.
      if (!t) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${req.params.name}`);
      const args = (req.params.arguments ?? {}) as Record<string, unknown>;
      const derived = deriveResource(t, args);
      if (!derived.ok) return text(`Refused by the gateway: ${derived.message}`);
      const progressToken = extra._meta?.progressToken;
      let progress = 0;
      const sendProgress = async (message: string) => {
        if (progressToken === undefined) return;
        await extra.sendNotification({ method: "notifications/progress", params: { progressToken, progress: ++progress, message } }).catch(() => {});
      };
      try {
        return await this.o.lanyard.guard(
          {
            leaseToken,
            tool: t.tool,
            resource: derived.resource,
            context: {
              ...(this.o.environment ? { environment: this.o.environment } : {}),
              mcp: { session: sessionLabel() ?? null, connection: t.connectionName, upstreamTool: t.upstream, argumentsDigest: argumentsDigest(derived.args) },
            },
          },
          async () =>
            this.pool.callTool(t.connectionId, t.upstream, derived.args, {
              signal: extra.signal,
              onprogress:
                progressToken === undefined
                  ? undefined
                  : (p) => void extra.sendNotification({ method: "notifications/progress", params: { ...p, progressToken } }).catch(() => {}),
            }),
          {
            signal: extra.signal,
            pollSeconds: this.o.escalationPollSeconds,
            onWait: (s) => sendProgress(s === 0 ? "waiting for a person to approve this call in Lanyard" : `still waiting for approval (${s} s)`),
          },
        );
      } catch (err) {
        if (err instanceof CallDenied) return text(`Denied by Lanyard: ${err.message}`);
        if (err instanceof LanyardUnavailable) return text(`Refused: ${err.message}; the call was not forwarded (fail closed)`);
        if (err instanceof LanyardRefused) return text(`Refused: Lanyard rejected the gateway's request (${err.code}: ${err.message})`);
        if (extra.signal.aborted) throw err;
        return text(`The upstream failed: ${(err as Error).message}`);
      }
    });

    // The lease changes outside this session (revoked, more permission approved, budget spent): follow it.
    const timer = setInterval(() => {
      this.introspect(leaseToken)
        .then((l) => {
          const s = signature(l);
          if (lastSeen && s !== lastSeen) handle.notifyToolsChanged();
          lastSeen = s;
        })
        .catch(() => {});
    }, this.o.leaseRefreshMs ?? 5_000);
    timer.unref();
    this.sessions.add(handle);
    server.onclose = () => {
      clearInterval(timer);
      this.sessions.delete(handle);
    };
    return server;
  }
}
