import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js";
import { ErrorCode, McpError, ResultSchema, type ClientCapabilities, type LoggingLevel, type Notification, type RequestId } from "@modelcontextprotocol/sdk/types.js";
import type { Connection } from "./sdk";
import type { UpstreamPool, Log } from "./upstreams";
import { CredentialsRefused, withoutHeaders } from "./vault";

/** Requests an upstream may send to the agent through the gateway (each needs the agent's capability). */
const RELAYED_REQUESTS: Record<string, keyof ClientCapabilities> = {
  "sampling/createMessage": "sampling",
  "elicitation/create": "elicitation",
  "roots/list": "roots",
};
/** Notifications an upstream may send to the agent. tools/list_changed is the pool's business (its tool table). */
const RELAYED_NOTIFICATIONS = new Set(["notifications/message", "notifications/resources/updated", "notifications/resources/list_changed", "notifications/prompts/list_changed"]);

// A forwarded request may wait on a person (elicitation) or a model (sampling) relayed back to the agent:
// the agent's own client bounds it, and its cancellation reaches the upstream through the signal.
const FORWARD_TIMEOUT_MS = 10 * 60_000;

type SessionClient = { client: Client; ready: Promise<Client>; inflight: RequestId[] };

/**
 * One agent session's own clients of the upstreams, opened when the session first needs them. MCP state
 * is per session (logging level, subscriptions, roots, the client's sampling/elicitation capabilities),
 * and an upstream's requests and notifications carry no session: with a client per agent session, all
 * that an upstream sends on it belongs to that agent and is relayed to it alone. Within the session it is
 * sent beside the request that caused it (the latest one in flight on that upstream), which is the
 * request's own SSE stream over HTTP; otherwise on the session's standalone stream.
 */
export class SessionUpstreams {
  private clients = new Map<string, SessionClient>();
  private logLevel: LoggingLevel | undefined;
  private closed = false;

  constructor(
    private readonly pool: UpstreamPool,
    private readonly front: Server,
    private readonly log: Log,
    /** the vault: a stdio upstream's environment for this session's lease, released at its start */
    private readonly vaultEnv?: (c: Connection) => Promise<Record<string, string>>,
    private readonly scrub?: (s: string) => string,
  ) {}

  /** Runs `fn` with this session's client of the connection, tracking `frontRequestId` as in flight on it. */
  async forward<T>(connectionId: string, frontRequestId: RequestId, fn: (c: Client) => Promise<T>): Promise<T> {
    const sc = this.open(connectionId);
    sc.inflight.push(frontRequestId);
    try {
      return await fn(await sc.ready);
    } finally {
      const i = sc.inflight.lastIndexOf(frontRequestId);
      if (i >= 0) sc.inflight.splice(i, 1);
    }
  }

  /** logging/setLevel: every upstream of the session that logs, now and when opened later. */
  async setLogLevel(level: LoggingLevel): Promise<void> {
    this.logLevel = level;
    await Promise.all(
      [...this.clients.values()].map(async (sc) => {
        const c = await sc.ready.catch(() => null);
        if (c?.getServerCapabilities()?.logging) await c.setLoggingLevel(level).catch((err) => this.log(`logging/setLevel upstream: ${(err as Error).message}`));
      }),
    );
  }

  /** The agent's roots changed: tell every upstream of the session. */
  async rootsChanged(): Promise<void> {
    await Promise.all([...this.clients.values()].map(async (sc) => (await sc.ready.catch(() => null))?.sendRootsListChanged().catch(() => {})));
  }

  /** Process ids of this session's stdio upstreams (for tests). */
  processIds(): number[] {
    return [...this.clients.values()].map((sc) => (sc.client.transport as StdioClientTransport | undefined)?.pid).filter((p): p is number => typeof p === "number");
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map((sc) => sc.client.close().catch(() => {})));
  }

  private open(connectionId: string): SessionClient {
    const existing = this.clients.get(connectionId);
    if (existing) return existing;
    if (this.closed) throw new McpError(ErrorCode.ConnectionClosed, "the session is closed");
    const connection = this.pool.connection(connectionId);
    if (!connection) throw new Error("the upstream of this call is no longer configured");

    // The upstream may ask the agent for what the agent offers, and nothing more.
    const agent = this.front.getClientCapabilities() ?? {};
    const capabilities: ClientCapabilities = {};
    for (const k of ["sampling", "elicitation", "roots"] as const) if (agent[k]) capabilities[k] = agent[k] as never;
    const client = new Client({ name: "lanyard-gateway", version: "0.1.0" }, { capabilities });
    const sc: SessionClient = { client, inflight: [], ready: null as never };

    client.fallbackRequestHandler = async (req, extra) => {
      const needs = RELAYED_REQUESTS[req.method];
      if (!needs) throw new McpError(ErrorCode.MethodNotFound, `Method not found: ${req.method}`);
      if (!agent[needs]) throw new McpError(ErrorCode.InvalidRequest, `the agent does not support ${needs}`);
      return this.front.request({ method: req.method, params: req.params }, ResultSchema, { ...this.related(sc), signal: extra.signal, timeout: FORWARD_TIMEOUT_MS });
    };
    client.fallbackNotificationHandler = async (n: Notification) => {
      if (!RELAYED_NOTIFICATIONS.has(n.method)) return;
      const msg = { method: n.method, params: n.params } as Parameters<Server["notification"]>[0];
      // The related request may have finished meanwhile: then the session's standalone stream.
      await this.front.notification(msg, this.related(sc)).catch(() => this.front.notification(msg).catch(() => {}));
    };

    // Outside the headers of the call that opened it: the handshake and the standalone stream carry no credential.
    sc.ready = withoutHeaders(async () => {
      try {
        await client.connect(this.pool.transportFor(connection, { env: await this.vaultEnv?.(connection), scrub: this.scrub }));
        if (this.logLevel && client.getServerCapabilities()?.logging) await client.setLoggingLevel(this.logLevel).catch(() => {});
        return client;
      } catch (err) {
        this.forget(connectionId, sc);
        await client.close().catch(() => {});
        if (err instanceof CredentialsRefused) throw err; // nothing was started: the call is refused as such
        throw new Error(`upstream ${connection.name} is not available: ${(err as Error).message}`);
      }
    });
    sc.ready.catch(() => {});
    // An upstream that exits takes only this client with it: the session's next call opens a new one.
    client.onclose = () => this.forget(connectionId, sc);
    client.onerror = (err) => this.log(`upstream ${connection.name} (session): ${err.message}`);
    this.clients.set(connectionId, sc);
    return sc;
  }

  private forget(connectionId: string, sc: SessionClient) {
    if (this.clients.get(connectionId) === sc) this.clients.delete(connectionId);
  }

  private related(sc: SessionClient): { relatedRequestId?: RequestId } {
    const id = sc.inflight.at(-1);
    return id === undefined ? {} : { relatedRequestId: id };
  }
}

/** Request options for forwarding one agent request: its cancellation and its progress travel along. */
export function forwardOptions(
  extra: { signal: AbortSignal; _meta?: { progressToken?: string | number }; sendNotification: (n: never) => Promise<void> },
): RequestOptions {
  const progressToken = extra._meta?.progressToken;
  return {
    signal: extra.signal,
    timeout: FORWARD_TIMEOUT_MS,
    ...(progressToken === undefined
      ? {}
      : {
          resetTimeoutOnProgress: true,
          onprogress: (p) => void extra.sendNotification({ method: "notifications/progress", params: { ...p, progressToken } } as never).catch(() => {}),
        }),
  };
}
