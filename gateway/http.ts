import { randomUUID, timingSafeEqual, createHash } from "node:crypto";
import http from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Gateway } from "./gateway";
import { refusal } from "./gateway";
import { LanyardUnavailable } from "./sdk";

type Session = { transport: StreamableHTTPServerTransport; tokenHash: Buffer };

const hash = (s: string) => createHash("sha256").update(s).digest();

/** The names a gateway on this machine answers to by default (LANYARD_GATEWAY_ALLOWED_HOSTS adds others). */
export const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"];

/** "Host: name:port" → "name" ("[::1]:80" → "[::1]"); undefined when absent or malformed. */
function hostnameOf(h: string | undefined): string | undefined {
  if (!h) return undefined;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::\d{1,5})?$/.exec(h.trim());
  return m?.[1]!.toLowerCase();
}
function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

function rpcError(res: http.ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}) {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));
}

/**
 * MCP Streamable HTTP at /mcp (POST, GET for the SSE stream, DELETE to end a session). A session is
 * opened only for a live lease token (Authorization: Bearer) and stays bound to it: a request of that
 * session with another token, or none, is refused.
 */
export function createGatewayHttpServer(gateway: Gateway, o: { allowedHosts?: string[] } = {}): http.Server & { sessions: Map<string, Session> } {
  const sessions = new Map<string, Session>();
  const allowedHosts = new Set((o.allowedHosts ?? LOOPBACK_HOSTS).map((h) => h.toLowerCase()));
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => rpcError(res, 500, -32603, `gateway error: ${(err as Error).message}`));
  }) as http.Server & { sessions: Map<string, Session> };
  server.sessions = sessions;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    // DNS rebinding: a web page whose name resolves to this machine must not reach the gateway through
    // a browser, so Host (and Origin, when sent) must name a host the gateway is served as.
    const host = hostnameOf(req.headers.host);
    const origin = req.headers.origin;
    if (!host || !allowedHosts.has(host) || (origin !== undefined && !allowedHosts.has(hostnameOf(originHost(origin)) ?? "")))
      return rpcError(res, 403, -32000, "Forbidden: the Host or Origin header names a host this gateway is not served as");
    const url = new URL(req.url ?? "/", "http://gateway");
    if (url.pathname !== "/mcp") return rpcError(res, 404, -32601, "Not found: the MCP endpoint is /mcp");
    if (!["GET", "POST", "DELETE"].includes(req.method ?? "")) return rpcError(res, 405, -32601, "Method not allowed", { allow: "GET, POST, DELETE" });
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const challenge = { "www-authenticate": 'Bearer realm="lanyard", error="invalid_token"' };
    if (!bearer) return rpcError(res, 401, -32001, "A lease token is required: Authorization: Bearer <lease token>", challenge);

    const sessionId = req.headers["mcp-session-id"];
    if (typeof sessionId === "string") {
      const s = sessions.get(sessionId);
      if (!s) return rpcError(res, 404, -32001, "Session not found");
      const h = hash(bearer);
      if (!timingSafeEqual(h, s.tokenHash)) return rpcError(res, 403, -32001, "This session belongs to another lease token");
      return s.transport.handleRequest(req, res);
    }
    if (req.method !== "POST") return rpcError(res, 400, -32000, "Bad Request: no valid session id (initialize with a POST first)");

    let lease;
    try {
      lease = await gateway.introspect(bearer);
    } catch (err) {
      const why = err instanceof LanyardUnavailable ? err.message : `Lanyard refused the gateway (${(err as Error).message})`;
      return rpcError(res, 503, -32001, `Session refused: ${why} (fail closed)`);
    }
    if (!lease.active) return rpcError(res, 401, -32001, refusal(lease), challenge);

    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, { transport, tokenHash: hash(bearer) }),
      onsessionclosed: (id) => void sessions.delete(id),
    });
    const mcp = gateway.createSession(bearer, () => transport.sessionId);
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
      void mcp.close().catch(() => {});
    };
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
    // Not an initialize request (the transport answered an error): nothing to keep.
    if (!transport.sessionId) void mcp.close().catch(() => {});
  }

  server.on("close", () => {
    for (const s of sessions.values()) void s.transport.close().catch(() => {});
    sessions.clear();
  });
  return server;
}
