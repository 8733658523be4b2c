// Lanyard's real HTTP front for tests of programs that use the public API (the MCP gateway): the custom
// server (server/) answers decisions and the escalation long-poll; the few other v1 routes such a
// program calls are dispatched to their real route handlers (in Next's place), so every rule and the
// database are the product's own.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { NextRequest } from "next/server";
import { GET as listConnections } from "@/app/api/v1/connections/route";
import { GET as getConnection } from "@/app/api/v1/connections/[id]/route";
import { POST as introspect } from "@/app/api/v1/leases/introspect/route";
import { POST as releaseCredentials } from "@/app/api/v1/credentials/release/route";
import { GET as jwks } from "@/app/.well-known/jwks.json/route";
import { createLanyardServer } from "@/server/index";

type Handler = (req: NextRequest, ctx: { params: Promise<unknown> }) => Promise<Response>;
const ROUTES: { method: string; pattern: RegExp; handler: Handler; params: (m: RegExpExecArray) => Record<string, string> }[] = [
  { method: "GET", pattern: /^\/api\/v1\/connections$/, handler: listConnections, params: () => ({}) },
  { method: "GET", pattern: /^\/api\/v1\/connections\/([^/]+)$/, handler: getConnection, params: (m) => ({ id: decodeURIComponent(m[1]!) }) },
  { method: "POST", pattern: /^\/api\/v1\/leases\/introspect$/, handler: introspect, params: () => ({}) },
  { method: "POST", pattern: /^\/api\/v1\/credentials\/release$/, handler: releaseCredentials, params: () => ({}) },
  { method: "GET", pattern: /^\/\.well-known\/jwks\.json$/, handler: jwks as unknown as Handler, params: () => ({}) },
];

async function nextRoutes(req: http.IncomingMessage, res: http.ServerResponse) {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  for (const r of ROUTES) {
    const m = r.method === req.method ? r.pattern.exec(url.pathname) : null;
    if (!m) continue;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    const out = await r.handler(new NextRequest(url, { method: req.method, headers, body }), { params: Promise.resolve(r.params(m)) });
    res.writeHead(out.status, Object.fromEntries(out.headers));
    res.end(Buffer.from(await out.arrayBuffer()));
    return;
  }
  res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "not_found", message: "not served in this test" } }));
}

export async function startLanyardApi() {
  const server = createLanyardServer({ fallback: (req, res) => void nextRoutes(req, res).catch((e) => res.writeHead(500).end(String(e))) });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    port: (server.address() as AddressInfo).port,
    stop: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => void server.pool.end().finally(r)))),
  };
}
