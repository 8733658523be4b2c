import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { UpstreamTool } from "./mapping";
import type { Connection } from "./sdk";
import { injectingFetch } from "./vault";

export type Log = (msg: string) => void;

type Upstream = {
  connection: Connection;
  client: Client | null;
  tools: UpstreamTool[];
  connecting: Promise<void> | null;
  restarts: number;
  closed: boolean;
};

/**
 * The upstream MCP servers of the connections assigned to this gateway's key, one client each, which
 * keeps the tool table (calls go through each agent session's own clients: gateway/passthrough.ts). A
 * stdio server that exits is started again (with a growing pause).
 * A failing upstream only fails its own calls: nothing here throws out of an event handler.
 */
export class UpstreamPool {
  private upstreams = new Map<string, Upstream>();
  /** called when the set of upstream tools may have changed (a start, a restart, a reload) */
  onToolsChanged: () => void = () => {};

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: Log,
  ) {}

  /** Starts, keeps or replaces upstreams so that they match `connections` (by id and version). */
  async sync(connections: Connection[]): Promise<void> {
    const wanted = new Map(connections.map((c) => [c.id, c]));
    for (const [id, u] of this.upstreams) {
      const next = wanted.get(id);
      if (!next || next.version !== u.connection.version) await this.stop(id);
      else u.connection = next; // same upstream; its credentials (names, never values) may have changed
    }
    const starting: Promise<void>[] = [];
    for (const c of connections) {
      if (this.upstreams.has(c.id)) continue;
      const u: Upstream = { connection: c, client: null, tools: [], connecting: null, restarts: 0, closed: false };
      this.upstreams.set(c.id, u);
      starting.push(this.connect(u));
    }
    await Promise.all(starting);
    this.onToolsChanged();
  }

  list(): { connection: Connection; tools: UpstreamTool[] }[] {
    return [...this.upstreams.values()].map((u) => ({ connection: u.connection, tools: u.tools }));
  }

  /** The process ids of running stdio upstreams, by connection name (for status and tests). */
  processIds(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const u of this.upstreams.values()) {
      const pid = (u.client?.transport as StdioClientTransport | undefined)?.pid;
      if (typeof pid === "number") out[u.connection.name] = pid;
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([...this.upstreams.keys()].map((id) => this.stop(id)));
  }

  private async stop(id: string): Promise<void> {
    const u = this.upstreams.get(id);
    this.upstreams.delete(id);
    if (!u) return;
    u.closed = true;
    await u.client?.close().catch(() => {});
  }

  /** The connection configured under this id now (null once removed). */
  connection(id: string): Connection | null {
    return this.upstreams.get(id)?.connection ?? null;
  }

  connections(): Connection[] {
    return [...this.upstreams.values()].map((u) => u.connection);
  }

  /**
   * A fresh transport to a connection's upstream: the pool's own client (no credentials), or one agent
   * session's, with the environment the vault released for that session. Values come from the vault
   * only, never from the gateway's own environment (which holds the gateway's key); HTTP headers are
   * added per forwarded request (gateway/vault.ts).
   */
  transportFor(c: Connection, o: { env?: Record<string, string>; scrub?: (s: string) => string } = {}): Transport {
    if (c.transport.type === "stdio") {
      const env: Record<string, string> = { ...getDefaultEnvironment(), ...o.env };
      const debug = !!this.env.LANYARD_GATEWAY_DEBUG;
      const credentialed = !!o.env && Object.keys(o.env).length > 0;
      // With credentials in its environment, what the upstream prints is scrubbed before the gateway's log.
      const t = new StdioClientTransport({ command: c.transport.command, args: c.transport.args, env, stderr: debug ? (credentialed ? "pipe" : "inherit") : "ignore" });
      if (debug && credentialed) t.stderr?.on("data", (b: Buffer) => this.log(`upstream ${c.name}: ${(o.scrub ?? ((s) => s))(b.toString("utf8").trimEnd())}`));
      return t;
    }
    return new StreamableHTTPClientTransport(new URL(c.transport.url), { fetch: injectingFetch });
  }

  private connect(u: Upstream): Promise<void> {
    u.connecting ??= (async () => {
      const client = new Client({ name: "lanyard-gateway", version: "0.1.0" });
      try {
        await client.connect(this.transportFor(u.connection));
        const tools: UpstreamTool[] = [];
        let cursor: string | undefined;
        do {
          const page = await client.listTools(cursor ? { cursor } : undefined);
          tools.push(...(page.tools as UpstreamTool[]));
          cursor = page.nextCursor;
        } while (cursor);
        if (u.closed) {
          await client.close().catch(() => {});
          return;
        }
        const changed = JSON.stringify(tools) !== JSON.stringify(u.tools);
        u.client = client;
        u.tools = tools;
        u.restarts = 0;
        if (changed) this.onToolsChanged();
        client.onclose = () => this.lost(u, client);
        client.onerror = (err) => this.log(`upstream ${u.connection.name}: ${err.message}`);
      } catch (err) {
        this.log(`upstream ${u.connection.name} did not start: ${(err as Error).message}`);
        await client.close().catch(() => {});
        this.scheduleRestart(u);
      } finally {
        u.connecting = null;
      }
    })();
    return u.connecting;
  }

  private lost(u: Upstream, client: Client) {
    if (u.client !== client || u.closed) return;
    this.log(`upstream ${u.connection.name} went away; starting it again`);
    // Its tools stay listed while it restarts: calls meanwhile get an error result, not "unknown tool".
    u.client = null;
    this.scheduleRestart(u);
  }

  private scheduleRestart(u: Upstream) {
    if (u.closed) return;
    const pause = Math.min(30_000, 250 * 2 ** u.restarts++);
    setTimeout(() => {
      if (u.closed || u.client || u.connecting) return;
      void this.connect(u);
    }, pause).unref();
  }
}
