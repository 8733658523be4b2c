import { randomUUID, timingSafeEqual, createHash } from "node:crypto";
import http from "node:http";
import { DEFAULT_MAX_REQUEST_BODY_SIZE, requestBodyTooLargeMessage } from "@modelcontextprotocol/sdk/server/requestBody.js";
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

const NOT_READ = Symbol("not read");
const ANSWERED = Symbol("answered");

/**
 * The body of a POST to a session, read and parsed here (the transport otherwise reads it through a web
 * stream per request, a cost on every call) with the transport's own bound and answers: over 4 MiB 413,
 * not JSON 400 -32700. Left to the transport (NOT_READ) when its header checks (Accept, Content-Type)
 * would refuse the request anyway, so those answers stay its own.
 */
async function readJsonBody(req: http.IncomingMessage, res: http.ServerResponse): Promise<unknown> {
  const accept = req.headers.accept ?? "";
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (!accept.includes("application/json") || !accept.includes("text/event-stream") || type !== "application/json") return NOT_READ;
  if (Number(req.headers["content-length"]) > DEFAULT_MAX_REQUEST_BODY_SIZE) {
    rpcError(res, 413, -32000, requestBodyTooLargeMessage(DEFAULT_MAX_REQUEST_BODY_SIZE));
    req.resume();
    return ANSWERED;
  }
  const text = await new Promise<string | null>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (c: Buffer) => {
      received += c.length;
      if (received <= DEFAULT_MAX_REQUEST_BODY_SIZE) return void chunks.push(c);
      // Over the bound: the rest is drained unread (destroying the request would take the answer's socket with it).
      req.off("data", onData).resume();
      chunks.length = 0;
      resolve(null);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
  });
  if (text === null) {
    rpcError(res, 413, -32000, requestBodyTooLargeMessage(DEFAULT_MAX_REQUEST_BODY_SIZE));
    return ANSWERED;
  }
  try {
    return JSON.parse(text);
  } catch {
    rpcError(res, 400, -32700, "Parse error: Invalid JSON");
    return ANSWERED;
  }
}

/**
 * The transport sends an SSE answer's headers at once, on a write of their own; most answers follow
 * within milliseconds, so the headers go with the first event instead (one write less per call). A
 * stream with nothing to say yet (a call held for approval without progress, a slow upstream) still
 * gets its headers after HEADERS_GRACE_MS, so the agent's HTTP client sees the answer begin.
 */
export const HEADERS_GRACE_MS = 1_000;
function deferHeaders(res: http.ServerResponse) {
  const flush = res.flushHeaders.bind(res);
  // headersSent turns true at writeHead, before anything reaches the socket: whether an event went is tracked here.
  let wrote = false;
  const write = res.write.bind(res) as (...a: unknown[]) => boolean;
  res.write = ((...a: unknown[]) => {
    wrote = true;
    return write(...a);
  }) as typeof res.write;
  res.flushHeaders = () => {
    const timer = setTimeout(() => {
      if (!wrote && !res.writableEnded && !res.destroyed) flush();
    }, HEADERS_GRACE_MS);
    res.once("close", () => clearTimeout(timer));
    res.once("finish", () => clearTimeout(timer));
  };
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
      if (req.method !== "POST") return s.transport.handleRequest(req, res);
      deferHeaders(res);
      const body = await readJsonBody(req, res);
      return body === NOT_READ ? s.transport.handleRequest(req, res) : body === ANSWERED ? undefined : s.transport.handleRequest(req, res, body);
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
