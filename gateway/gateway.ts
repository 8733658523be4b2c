import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { UriTemplate } from "@modelcontextprotocol/sdk/shared/uriTemplate.js";
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  ResultSchema,
  RootsListChangedNotificationSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type CallToolResult,
  type Prompt,
  type Resource,
  type ResourceTemplate,
} from "@modelcontextprotocol/sdk/types.js";
import { annotationsFor, deriveResource, exposeTools, usableTools, type ExposedTool } from "./mapping";
import { forwardOptions, SessionUpstreams } from "./passthrough";
import { argumentsFields, CallDenied, LanyardRefused, LanyardUnavailable, type Connection, type Introspection, type LanyardClient, type Reason, type ResourceRef } from "./sdk";
import { UpstreamPool, type Log } from "./upstreams";
import { CredentialsRefused, GatewayVault, withHeaders } from "./vault";

export type GatewayOptions = {
  lanyard: LanyardClient;
  env?: NodeJS.ProcessEnv;
  log?: Log;
  /** the environment decisions are asked for (context.environment); absent: not sent */
  environment?: string;
  /** how often each session re-reads its lease to announce tools/list_changed (a decision that shows a change re-reads it at once); default 2000 ms */
  leaseRefreshMs?: number;
  /** how often the connections of this key are re-read; default 30000 ms */
  connectionsRefreshMs?: number;
  /** seconds per escalation long-poll round (progress is sent between rounds); default 20 */
  escalationPollSeconds?: number;
  /** send each call's arguments with its decision (shown to approvers); false: only their digest (LANYARD_GATEWAY_SEND_ARGUMENTS=0). Default true */
  sendArguments?: boolean;
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
  readonly vault: GatewayVault;
  private tools = new Map<string, ExposedTool>();
  private sessions = new Set<{ notifyToolsChanged: () => void; upstreams: SessionUpstreams }>();
  private timers: NodeJS.Timeout[] = [];
  private readonly log: Log;

  constructor(private readonly o: GatewayOptions) {
    const log = o.log ?? ((m) => process.stderr.write(`[gateway] ${m}\n`));
    this.vault = new GatewayVault(o.lanyard);
    // No released value ever reaches a log line, whatever an upstream put in its error.
    this.log = (m) => log(this.vault.scrubber.text(m));
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
    // Outcomes of calls already answered are reported before the gateway goes.
    await Promise.all([this.pool.close(), this.o.lanyard.flush()]);
  }

  /** The lease as Lanyard sees it now; a session is opened only for an active one. */
  introspect(leaseToken: string): Promise<Introspection> {
    return this.o.lanyard.introspect(leaseToken);
  }

  /** An MCP server for one agent session bound to one lease token. */
  createSession(leaseToken: string, sessionLabel: () => string | undefined): Server {
    // Everything an upstream may offer is declared: what no connection maps lists empty and is refused.
    const server = new Server(
      { name: "lanyard-gateway", version: "0.1.0" },
      { capabilities: { tools: { listChanged: true }, resources: { subscribe: true, listChanged: true }, prompts: { listChanged: true }, logging: {}, completions: {} } },
    );
    const upstreams = new SessionUpstreams(this.pool, server, this.log, (c) => this.vault.envFor(c, leaseToken), (s) => this.vault.scrubber.text(s));
    // Everything sent to the agent (results, errors, relayed notifications and requests) is scrubbed of
    // every value the vault released, in case an upstream echoes one.
    const connect = server.connect.bind(server);
    server.connect = (transport) => {
      const send = transport.send.bind(transport);
      transport.send = (message, options) => send(this.vault.scrubber.deep(message), options);
      return connect(transport);
    };
    let lastSeen = "";
    const handle = {
      upstreams,
      notifyToolsChanged: () => {
        void server.sendToolListChanged().catch(() => {});
      },
    };
    const signature = (l: Introspection) => JSON.stringify([l.active, l.tools.map((t) => [t.tool, t.stepUp]).sort()]);
    /** Re-reads the lease and announces tools/list_changed when what it can use differs from what was last seen. */
    const recheckLease = () => {
      this.introspect(leaseToken)
        .then((l) => {
          const s = signature(l);
          if (lastSeen && s !== lastSeen) handle.notifyToolsChanged();
          lastSeen = s;
        })
        .catch(() => {});
    };
    // A decision can show the lease changed (a deny: revoked, expired, out of budget; the allow that spent
    // its last call): re-read it at once rather than at the next refresh, so the agent's list follows now.
    const afterDecision = (d: { lease: { status: string; remainingToolCalls: number } | null } | null) => {
      if (!d?.lease || d.lease.status !== "active" || d.lease.remainingToolCalls <= 0) recheckLease();
    };
    const lease = async (what: string) => {
      try {
        return await this.introspect(leaseToken);
      } catch (err) {
        throw new McpError(ErrorCode.InternalError, `${what} refused: ${(err as Error).message} (fail closed)`);
      }
    };
    type Extra = Parameters<Parameters<typeof server.setRequestHandler>[1]>[1];
    const forward = <T>(connectionId: string, extra: Extra, fn: (c: Client) => Promise<T>) => upstreams.forward(connectionId, extra.requestId, fn);

    /**
     * Asks Lanyard before `run` (which reaches the upstream): allow runs it, escalate holds it with
     * progress to the agent, anything else throws; failures to get an answer throw LanyardUnavailable.
     */
    const decided = <T>(
      extra: Extra,
      call: { tool: string; resource?: ResourceRef; mcp: Record<string, unknown>; connectionId: string; args: Record<string, unknown>; judge?: (r: T) => { status: "ok" | "error" } },
      run: () => Promise<T>,
    ) => {
      const progressToken = extra._meta?.progressToken;
      let progress = 0;
      const sendProgress = async (message: string) => {
        if (progressToken === undefined) return;
        await extra.sendNotification({ method: "notifications/progress", params: { progressToken, progress: ++progress, message } }).catch(() => {});
      };
      return this.o.lanyard.guard(
        {
          leaseToken,
          tool: call.tool,
          resource: call.resource,
          context: { ...(this.o.environment ? { environment: this.o.environment } : {}), mcp: { session: sessionLabel() ?? null, ...call.mcp } },
          // An approval is bound to these arguments' digest: the retry after approval sends the same.
          ...argumentsFields(call.args, this.o.sendArguments !== false),
        },
        (d) => {
          afterDecision(d);
          return this.credentialed(call.connectionId, call.tool, d.decisionId, run);
        },
        {
          signal: extra.signal,
          pollSeconds: this.o.escalationPollSeconds,
          onWait: (s) => sendProgress(s === 0 ? "waiting for a person to approve this call in Lanyard" : `still waiting for approval (${s} s)`),
          judge: call.judge,
          onOutcomeError: (err) => this.log(`reporting the outcome of a ${call.tool} call failed: ${(err as Error).message}`),
        },
      );
    };
    /** For requests whose answer is not a tool result: a refusal is a JSON-RPC error naming the rule. */
    const refused = (err: unknown, extra: Extra): never => {
      if (err instanceof CallDenied) throw new McpError(GATEWAY_REFUSED, `Denied by Lanyard: ${err.message}`);
      if (err instanceof LanyardUnavailable) throw new McpError(GATEWAY_REFUSED, `Refused: ${err.message}; the request was not forwarded (fail closed)`);
      if (err instanceof LanyardRefused) throw new McpError(GATEWAY_REFUSED, `Refused: Lanyard rejected the gateway's request (${err.code}: ${err.message})`);
      if (err instanceof CredentialsRefused) throw new McpError(GATEWAY_REFUSED, `Refused: ${err.message}; the request was not forwarded (fail closed)`);
      if (err instanceof McpError || extra.signal.aborted) throw err;
      throw new McpError(ErrorCode.InternalError, `The upstream failed: ${(err as Error).message}`);
    };

    server.setRequestHandler(ListToolsRequestSchema, async () => {
      const l = await lease("tools/list");
      lastSeen = signature(l);
      return {
        tools: usableTools(this.tools, l).map((t) => ({
          name: t.name,
          title: t.definition.title,
          description: t.definition.description,
          inputSchema: t.definition.inputSchema,
          annotations: annotationsFor(t, l),
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
      try {
        return await decided(
          extra,
          { tool: t.tool, connectionId: t.connectionId, resource: derived.resource, args: derived.args, mcp: { connection: t.connectionName, upstreamTool: t.upstream },
            judge: (r: CallToolResult) => ({ status: r.isError ? "error" : "ok" }) },
          // The result is validated once, on its way to the agent (the SDK's server checks every tools/call
          // result against the schema, so a malformed one is a protocol error there), not also on the way in.
          () => forward(t.connectionId, extra, (c) => c.request({ method: "tools/call", params: { name: t.upstream, arguments: derived.args } }, ResultSchema, forwardOptions(extra)) as Promise<CallToolResult>),
        );
      } catch (err) {
        if (err instanceof CallDenied) {
          afterDecision(null);
          return text(`Denied by Lanyard: ${err.message}`);
        }
        if (err instanceof LanyardUnavailable) return text(`Refused: ${err.message}; the call was not forwarded (fail closed)`);
        if (err instanceof LanyardRefused) return text(`Refused: Lanyard rejected the gateway's request (${err.code}: ${err.message})`);
        if (err instanceof CredentialsRefused) return text(`Refused: ${err.message}; the call was not forwarded (fail closed)`);
        if (extra.signal.aborted) throw err;
        return text(`The upstream failed: ${(err as Error).message}`);
      }
    });

    // Resources and prompts: listed from the connections that map them to a catalog tool the lease can
    // use now; each read/get is a decision of that tool (resource: the URI / the prompt's name).
    const usable = (kind: "resources" | "prompts", l: Introspection): Connection[] => {
      if (!l.active) return [];
      const granted = new Set(l.tools.map((t) => t.tool));
      return this.pool.connections().filter((c) => c[kind] && granted.has(c[kind]!.tool));
    };
    /** Lists every page of one upstream; an upstream that fails or lacks the feature lists nothing. */
    const listAll = async <T>(c: Connection, extra: Extra, what: string, page: (cl: Client, cursor?: string) => Promise<{ items: T[]; nextCursor?: string }>) => {
      try {
        return await forward(c.id, extra, async (cl) => {
          const out: T[] = [];
          let cursor: string | undefined;
          do {
            const p = await page(cl, cursor);
            out.push(...p.items);
            cursor = p.nextCursor;
          } while (cursor && out.length < 10_000);
          return out;
        });
      } catch (err) {
        if (!(err instanceof McpError && err.code === ErrorCode.MethodNotFound)) this.log(`${what} from ${c.name} failed: ${(err as Error).message}`);
        return [];
      }
    };
    const resourceOwner = new Map<string, string>();
    let templates: { t: UriTemplate; uriTemplate: string; connectionId: string }[] = [];
    const prompts = new Map<string, { connectionId: string; upstream: string }>();

    const listResources = async (extra: Extra, l: Introspection) => {
      const out: Resource[] = [];
      for (const c of usable("resources", l)) {
        for (const r of await listAll<Resource>(c, extra, "resources/list", async (cl, cursor) => {
          const p = await cl.listResources(cursor ? { cursor } : undefined, forwardOptions(extra));
          return { items: p.resources, nextCursor: p.nextCursor };
        })) {
          if (resourceOwner.has(r.uri) && resourceOwner.get(r.uri) !== c.id) continue; // the first connection keeps a URI
          resourceOwner.set(r.uri, c.id);
          out.push(r);
        }
      }
      return out;
    };
    const listTemplates = async (extra: Extra, l: Introspection) => {
      const out: ResourceTemplate[] = [];
      const next: typeof templates = [];
      for (const c of usable("resources", l)) {
        for (const t of await listAll<ResourceTemplate>(c, extra, "resources/templates/list", async (cl, cursor) => {
          const p = await cl.listResourceTemplates(cursor ? { cursor } : undefined, forwardOptions(extra));
          return { items: p.resourceTemplates, nextCursor: p.nextCursor };
        })) {
          out.push(t);
          try {
            next.push({ t: new UriTemplate(t.uriTemplate), uriTemplate: t.uriTemplate, connectionId: c.id });
          } catch {
            // a template the SDK cannot parse still lists, but routes nothing
          }
        }
      }
      templates = next;
      return out;
    };
    const listPrompts = async (extra: Extra, l: Introspection) => {
      const found: { c: Connection; p: Prompt }[] = [];
      for (const c of usable("prompts", l)) {
        for (const p of await listAll<Prompt>(c, extra, "prompts/list", async (cl, cursor) => {
          const r = await cl.listPrompts(cursor ? { cursor } : undefined, forwardOptions(extra));
          return { items: r.prompts, nextCursor: r.nextCursor };
        }))
          found.push({ c, p });
      }
      // As for tools: a name offered by more than one connection is prefixed with each one's name.
      const counts = new Map<string, number>();
      for (const f of found) counts.set(f.p.name, (counts.get(f.p.name) ?? 0) + 1);
      prompts.clear();
      return found.map(({ c, p }) => {
        const name = counts.get(p.name)! > 1 ? `${c.name}.${p.name}` : p.name;
        prompts.set(name, { connectionId: c.id, upstream: p.name });
        return { ...p, name };
      });
    };
    /** Which usable connection serves a URI: a listed resource, then a template, then the only one. */
    const resourceConnection = async (uri: string, extra: Extra, l: Introspection): Promise<Connection> => {
      const candidates = usable("resources", l);
      const pick = () => {
        const id = resourceOwner.get(uri) ?? templates.find((x) => x.t.match(uri))?.connectionId;
        return candidates.find((c) => c.id === id);
      };
      let c = pick();
      if (!c && candidates.length > 1) {
        await listResources(extra, l);
        await listTemplates(extra, l);
        c = pick();
      }
      c ??= candidates.length === 1 ? candidates[0] : undefined;
      if (!c) throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri });
      return c;
    };
    const promptOf = async (name: string, extra: Extra, l: Introspection) => {
      if (!prompts.has(name)) await listPrompts(extra, l);
      const p = prompts.get(name);
      const c = p && usable("prompts", l).find((x) => x.id === p.connectionId);
      if (!p || !c) throw new McpError(ErrorCode.InvalidParams, `Prompt not found: ${name}`);
      return { ...p, connection: c };
    };
    const checkUri = (uri: string) => {
      if (uri.length > 300 || uri.includes("\0")) throw new McpError(ErrorCode.InvalidParams, "the resource URI must be at most 300 characters, without NUL");
    };

    server.setRequestHandler(ListResourcesRequestSchema, async (_req, extra) => ({ resources: await listResources(extra, await lease("resources/list")) }));
    server.setRequestHandler(ListResourceTemplatesRequestSchema, async (_req, extra) => ({ resourceTemplates: await listTemplates(extra, await lease("resources/templates/list")) }));
    server.setRequestHandler(ReadResourceRequestSchema, async (req, extra) => {
      const uri = req.params.uri;
      checkUri(uri);
      const c = await resourceConnection(uri, extra, await lease("resources/read"));
      try {
        return await decided(extra, { tool: c.resources!.tool, connectionId: c.id, resource: { type: "uri", id: uri }, args: { uri }, mcp: { connection: c.name, method: "resources/read" } }, () =>
          forward(c.id, extra, (cl) => cl.readResource({ uri }, forwardOptions(extra))),
        );
      } catch (err) {
        return refused(err, extra);
      }
    });
    // Subscribing reads nothing (an update says only which URI changed; reading it is decided): the
    // resource must be one the lease can read now.
    const subscription = (kind: "subscribe" | "unsubscribe") => async (req: { params: { uri: string } }, extra: Extra) => {
      checkUri(req.params.uri);
      const c = await resourceConnection(req.params.uri, extra, await lease(`resources/${kind}`));
      await forward(c.id, extra, (cl) => (kind === "subscribe" ? cl.subscribeResource({ uri: req.params.uri }, forwardOptions(extra)) : cl.unsubscribeResource({ uri: req.params.uri }, forwardOptions(extra))));
      return {};
    };
    server.setRequestHandler(SubscribeRequestSchema, subscription("subscribe"));
    server.setRequestHandler(UnsubscribeRequestSchema, subscription("unsubscribe"));

    server.setRequestHandler(ListPromptsRequestSchema, async (_req, extra) => ({ prompts: await listPrompts(extra, await lease("prompts/list")) }));
    server.setRequestHandler(GetPromptRequestSchema, async (req, extra) => {
      const p = await promptOf(req.params.name, extra, await lease("prompts/get"));
      const args = req.params.arguments;
      try {
        return await decided(
          extra,
          { tool: p.connection.prompts!.tool, connectionId: p.connectionId, resource: { type: "prompt", id: p.upstream }, args: { name: p.upstream, arguments: args ?? {} }, mcp: { connection: p.connection.name, method: "prompts/get" } },
          () => forward(p.connectionId, extra, (cl) => cl.getPrompt({ name: p.upstream, ...(args ? { arguments: args } : {}) }, forwardOptions(extra))),
        );
      } catch (err) {
        return refused(err, extra);
      }
    });

    // Completion suggests argument values of a prompt or resource template the lease can use now; it is
    // not decided (nothing is read or done), as listing is not.
    server.setRequestHandler(CompleteRequestSchema, async (req, extra) => {
      const l = await lease("completion/complete");
      const ref = req.params.ref;
      let connectionId: string;
      let upstreamRef = ref;
      if (ref.type === "ref/prompt") {
        const p = await promptOf(ref.name, extra, l);
        connectionId = p.connectionId;
        upstreamRef = { ...ref, name: p.upstream };
      } else {
        const find = () => templates.find((x) => x.uriTemplate === ref.uri && usable("resources", l).some((c) => c.id === x.connectionId));
        if (!find()) await listTemplates(extra, l);
        const t = find();
        if (!t) throw new McpError(ErrorCode.InvalidParams, `Resource template not found: ${ref.uri}`);
        connectionId = t.connectionId;
      }
      return forward(connectionId, extra, (cl) => cl.complete({ ...req.params, ref: upstreamRef }, forwardOptions(extra)));
    });

    // Logging level and roots are the agent's session state: passed to this session's upstreams.
    server.setRequestHandler(SetLevelRequestSchema, async (req) => {
      await upstreams.setLogLevel(req.params.level);
      return {};
    });
    server.setNotificationHandler(RootsListChangedNotificationSchema, () => upstreams.rootsChanged());

    // The lease changes outside this session (revoked, more permission approved, budget spent): follow it.
    const timer = setInterval(recheckLease, this.o.leaseRefreshMs ?? 2_000);
    timer.unref();
    this.sessions.add(handle);
    server.onclose = () => {
      clearInterval(timer);
      this.sessions.delete(handle);
      void upstreams.close();
    };
    return server;
  }

  /**
   * Runs an allowed request with the credentials its connection needs for the tool: HTTP headers released
   * for this decision, injected into that one upstream request (a stdio upstream got its environment at
   * its session's start). A refused release throws CredentialsRefused before anything is forwarded.
   */
  private async credentialed<T>(connectionId: string, tool: string, decisionId: string, run: () => Promise<T>): Promise<T> {
    const c = this.pool.connection(connectionId);
    const headers = c ? await this.vault.headersFor(c, tool, decisionId) : null;
    return withHeaders(headers, run);
  }

  /** Process ids of every running stdio upstream: the pool's and each session's (for tests). */
  processIds(): number[] {
    return [...Object.values(this.pool.processIds()), ...[...this.sessions].flatMap((s) => s.upstreams.processIds())];
  }
}

/** JSON-RPC error codes (server-defined range) for a request the gateway refused, and a URI it does not know. */
export const GATEWAY_REFUSED = -32001;
export const RESOURCE_NOT_FOUND = -32002;
