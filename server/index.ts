/**
 * Lanyard's HTTP server: it owns the port, answers the enforcement-point hot path itself (POST
 * /api/v1/decisions, POST /api/v1/decisions/{id}/outcome, and GET /api/v1/escalations/{id} with a key,
 * the long-poll) and hands every other
 * request to a fallback (Next's request handler in production; a stub in tests). Next's router costs
 * about 0.8 ms of CPU per request here even for an empty handler; these routes run many times per
 * agent step. The rules (authentication, limits, parsing, decisions) are the same lib/ functions the
 * Next routes call.
 */
import http from "node:http";
import pg from "pg";
import { toErrorResponse } from "@/lib/api/error-response";
import { authenticateEnforcementPoint, checkBodyHeaders, parseInput, parseJsonBody, tooLarge } from "@/lib/api/ep-request";
import { AppError } from "@/lib/errors";
import { CLIENT_ADDRESS_HEADER } from "@/lib/api/client-address";
import { assertRoutablePath } from "@/lib/api/raw-path";
import { bodyTimeoutMs, HEADERS_TIMEOUT_MS, MAX_BODY_BYTES, requestTimeoutMs } from "@/lib/api/limits";
import { operations } from "@/lib/api/operations";
import { DecisionRequest, OutcomeParams, OutcomeRequest } from "@/lib/decisions/schemas";
import { recordOutcome } from "@/lib/decisions/outcome";
import { EscalationParams, WaitQuery } from "@/lib/escalations/schemas";
import { forgetCachedKeys } from "@/lib/auth/enforcement-point";
import { db, type Db } from "@/lib/db";
import { createHotPath, type HotPath } from "@/lib/decisions/hot-path";
import { env } from "@/lib/env";
import { getEscalation } from "@/lib/escalations/read";
import { subscribe } from "@/lib/events/bus";
import { forgetToolCatalog } from "@/lib/tools/catalog";
import { forgetKeys } from "@/lib/tokens/keys";

export type Fallback = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

/** Longer than the idle timeout of common load balancers (60 s), so they close idle connections first. */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** Calls waiting for a database connection beyond this many are refused at once (503), not queued. */
export const MAX_QUEUED = 4_096;

const ESCALATION_PATH = /^\/api\/v1\/escalations\/([^/]+)$/;
const OUTCOME_PATH = /^\/api\/v1\/decisions\/([^/]+)\/outcome$/;

/** The hot path's own pool (pg, no Prisma): its size and the bounded wait for a connection, then 503. */
export function createHotPool(opts: { max?: number; waitMs?: number } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: env().DATABASE_URL,
    max: opts.max ?? env().LANYARD_DB_POOL_SIZE,
    connectionTimeoutMillis: opts.waitMs ?? env().LANYARD_DB_POOL_WAIT_MS,
    // A new connection costs a backend start and a SCRAM exchange (PBKDF2) on both ends; pg drops idle
    // ones after 10 s by default, so the first burst after any pause paid that for every connection.
    idleTimeoutMillis: 300_000,
    // Timestamps are stored as UTC wall times (as Prisma writes them).
    options: "-c TimeZone=UTC",
  });
  // An idle connection the server drops (restart, failover) must not crash the process.
  pool.on("error", () => {});
  return pool;
}

export function createLanyardServer(opts: { fallback: Fallback; pool?: pg.Pool; db?: Db }): http.Server & { hotPath: HotPath; pool: pg.Pool } {
  const pool = opts.pool ?? createHotPool();
  const prisma = opts.db ?? db();
  const hotPath = createHotPath({ pool, db: prisma });
  // Caches of this instance follow changes made on any instance.
  void subscribe((e) => {
    if (e.type === "signing_keys.changed") forgetKeys();
    if (e.type === "tools.changed") forgetToolCatalog();
    if (e.type === "enforcement_points.changed") forgetCachedKeys();
  }).catch(() => {});

  const server = http.createServer((req, res) => {
    // Per-address limits read this header: ours, from the socket, whatever the client sent.
    req.headers[CLIENT_ADDRESS_HEADER] = req.socket.remoteAddress ?? "unknown";
    try {
      assertRoutablePath(req.url ?? "/"); // Next would answer a path that does not percent-decode with a text/plain 500
    } catch (err) {
      return void answer(res, () => Promise.reject(err));
    }
    const path = (req.url ?? "/").split("?", 1)[0]!;
    if (req.method === "POST" && path === "/api/v1/decisions") return void answer(res, () => decisionRoute(req, res));
    // An outcome follows every allowed call an MCP gateway forwards: as frequent as allows themselves.
    const outcome = req.method === "POST" ? OUTCOME_PATH.exec(path) : null;
    if (outcome) return void answer(res, () => outcomeRoute(req, decodeURIComponent(outcome[1]!)), operations.reportOutcome.responseStatus);
    const esc = req.method === "GET" && req.headers.authorization !== undefined ? ESCALATION_PATH.exec(path) : null;
    if (esc && esc[1] !== "stream") return void answer(res, () => escalationRoute(req, res, decodeURIComponent(esc[1]!)));
    // A console session (no Authorization header) and every other route: Next.
    void Promise.resolve(opts.fallback(req, res)).catch((err) => answer(res, () => Promise.reject(err)));
  });
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = requestTimeoutMs();
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;

  async function decisionRoute(req: http.IncomingMessage, _res: http.ServerResponse): Promise<unknown> {
    const raw = await readBody(req);
    const ep = await authenticateEnforcementPoint(req.headers.authorization, operations.decide.scope, () => req.headers[CLIENT_ADDRESS_HEADER] as string);
    const body = parseJsonBody(DecisionRequest, raw);
    admit(pool);
    return hotPath.decide(ep, body);
  }

  async function outcomeRoute(req: http.IncomingMessage, id: string): Promise<unknown> {
    const raw = await readBody(req);
    const ep = await authenticateEnforcementPoint(req.headers.authorization, operations.reportOutcome.scope, () => req.headers[CLIENT_ADDRESS_HEADER] as string);
    const params = parseInput(OutcomeParams, { id }, "params");
    const body = parseJsonBody(OutcomeRequest, raw);
    return recordOutcome(prisma, ep, params.id, body);
  }

  async function escalationRoute(req: http.IncomingMessage, res: http.ServerResponse, id: string): Promise<unknown> {
    const op = operations.getEscalation;
    const caller = await authenticateEnforcementPoint(req.headers.authorization, op.scope, () => req.headers[CLIENT_ADDRESS_HEADER] as string);
    const params = parseInput(EscalationParams, { id }, "params");
    const query = parseInput(WaitQuery, Object.fromEntries(new URL(req.url ?? "/", "http://x").searchParams), "query");
    const gone = new AbortController();
    res.once("close", () => gone.abort());
    return getEscalation(prisma, caller, params.id, query.waitSeconds, gone.signal);
  }

  return Object.assign(server, { hotPath, pool });
}

/** Overload: past MAX_QUEUED waiting calls, refuse at once; below it, the pool's bounded wait applies (then 503 too). */
function admit(pool: pg.Pool): void {
  if (pool.waitingCount >= MAX_QUEUED) throw new AppError("store_unavailable", "Too many decisions waiting; fail closed and retry");
}

async function answer(res: http.ServerResponse, run: () => Promise<unknown>, okStatus = 200): Promise<void> {
  let status = okStatus;
  let headers: Record<string, string> = { "content-type": "application/json" };
  let body: string;
  try {
    body = JSON.stringify(await run());
  } catch (err) {
    // The one error mapper (lib/api/errors): the same codes, shapes and Retry-After as under Next.
    const r = toErrorResponse(err);
    status = r.status;
    headers = Object.fromEntries(r.headers);
    body = await r.text();
    if (err instanceof AppError && (err.code === "payload_too_large" || err.code === "request_timeout")) headers.connection = "close";
  }
  if (res.headersSent || res.destroyed) return;
  // With its length known the answer leaves in one write (writeHead alone would send it chunked: several).
  headers["content-length"] = String(Buffer.byteLength(body));
  res.writeHead(status, headers).end(body);
}

/** The body, within MAX_BODY_BYTES and the body deadline; 415/413 from the headers before any byte is read. */
function readBody(req: http.IncomingMessage): Promise<string> {
  checkBodyHeaders(req.headers["content-type"], req.headers["content-length"]);
  const timeout = bodyTimeoutMs();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => fail(new AppError("request_timeout", `the body did not arrive within ${timeout} ms`)), timeout);
    const fail = (err: unknown) => {
      clearTimeout(timer);
      req.removeAllListeners("data");
      req.resume();
      reject(err);
    };
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) return fail(tooLarge());
      chunks.push(chunk);
    });
    req.once("end", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
    req.once("error", fail);
  });
}
