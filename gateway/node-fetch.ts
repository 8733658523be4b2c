/**
 * A fetch for the gateway's HTTP upstreams over node:http with keep-alive sockets. Global fetch (undici's
 * fetch layer) was the largest single cost of forwarding a call in the bench profile; what the MCP client
 * transport needs of fetch is small: a method, headers, a string body, a signal, and a Response whose
 * body streams (an SSE answer carries progress before the result). Redirects are not followed here: the
 * SDK follows the ones within the upstream's origin itself (it asks with redirect: "manual").
 */
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";

// Idle sockets are closed before a typical server's 5 s keep-alive timeout closes them under us.
const agentOptions = { keepAlive: true, maxSockets: 256, timeout: 4_000, scheduling: "lifo" as const };
const agents = { "http:": new http.Agent(agentOptions), "https:": new https.Agent(agentOptions) };
const NO_BODY = new Set([101, 103, 204, 205, 304]);

export const nodeFetch: FetchLike = (input, init = {}) => {
  const url = new URL(typeof input === "string" ? input : input.href);
  const body = init.body;
  // Anything but a string body (the transport sends JSON text) or another scheme: the standard fetch.
  if ((body !== undefined && body !== null && typeof body !== "string") || !(url.protocol in agents)) return fetch(url, init);
  const headers: http.OutgoingHttpHeaders = {};
  new Headers(init.headers).forEach((v, k) => (headers[k] = v));
  if (typeof body === "string") headers["content-length"] = Buffer.byteLength(body);
  const method = (init.method ?? "GET").toUpperCase();
  const signal = init.signal ?? undefined;
  return new Promise<Response>((resolve, reject) => {
    const send = (retried: boolean) => {
      let answered = false;
      const lib = url.protocol === "https:" ? https : http;
      const req = lib.request(url, { method, headers, agent: agents[url.protocol as "http:" | "https:"], signal }, (res) => {
        answered = true;
        const out = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (Array.isArray(v)) for (const x of v) out.append(k, x);
          else if (v !== undefined) out.set(k, v);
        }
        const status = res.statusCode ?? 502;
        const empty = NO_BODY.has(status) || method === "HEAD";
        if (empty) res.resume();
        resolve(new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, statusText: res.statusMessage, headers: out }));
      });
      req.on("error", (err: NodeJS.ErrnoException) => {
        // A reused idle socket the server had closed: it read nothing, so sending again is safe (Node's advice).
        if (!answered && !retried && req.reusedSocket && !signal?.aborted && (err.code === "ECONNRESET" || err.code === "EPIPE")) send(true);
        else if (!answered) reject(signal?.aborted ? (signal.reason ?? err) : new TypeError("fetch failed", { cause: err }));
      });
      req.end(body ?? undefined);
    };
    send(false);
  });
};
