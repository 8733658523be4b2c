/**
 * The gateway's side of the vault (issue 13): credentials are released by Lanyard per allowed call (HTTP
 * headers) or per session start (a stdio upstream's environment), injected into the upstream side only,
 * and every value released is scrubbed out of whatever goes back to the agent or into a log.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { nodeFetch } from "./node-fetch";
import type { Connection, LanyardClient, ReleasedCredential } from "./sdk";

/** The vault refused (or could not be asked for) a credential the upstream needs: the call is refused, nothing forwarded. */
export class CredentialsRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CredentialsRefused";
  }
}

// Shorter values would scrub ordinary words out of results; no credential worth the name is this short.
const MIN_SCRUBBED = 6;
// Released values kept for scrubbing (static values repeat and count once; per-call tokens come and go).
const MAX_REMEMBERED = 5_000;

/**
 * Every secret value the gateway was given, and the simple encodings an upstream may echo it in (base64,
 * base64url, URL-encoded, and the parts of a URL or a bearer value: the password of a connection URL,
 * the token of "Bearer …"). Replaces each with [redacted] in strings, deeply.
 */
export class Scrubber {
  private values = new Map<string, number>(); // variant → expiry (ms; Infinity for static values)
  private pattern: RegExp | null = null;
  private adds = 0;

  add(value: string, expiresAt?: number): void {
    const until = expiresAt ?? Infinity;
    for (const v of variants(value)) {
      if (v.length < MIN_SCRUBBED) continue;
      const had = this.values.get(v);
      this.values.delete(v); // re-inserted last: the oldest first out
      this.values.set(v, Math.max(had ?? 0, until));
      if (had === undefined) this.pattern = null; // a value released again changes nothing
    }
    // Now and then, and whenever over the bound: forget tokens a minute past their expiry, then the oldest.
    if (this.values.size > MAX_REMEMBERED || ++this.adds % 100 === 0) {
      const stale = Date.now() - 60_000;
      for (const [v, until] of this.values) if (until < stale) this.values.delete(v);
      for (const v of this.values.keys()) {
        if (this.values.size <= MAX_REMEMBERED) break;
        this.values.delete(v);
      }
      this.pattern = null;
    }
  }

  text(s: string): string {
    if (!this.values.size || s.length < MIN_SCRUBBED) return s;
    // Longest first, so a value is replaced whole before any part of it.
    this.pattern ??= new RegExp([...this.values.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp).join("|"), "g");
    return s.replace(this.pattern, "[redacted]");
  }

  /** A copy of `v` with every string (and key) scrubbed; `v` itself is left alone. */
  deep<T>(v: T): T {
    if (!this.values.size) return v;
    const walk = (x: unknown): unknown => {
      if (typeof x === "string") return this.text(x);
      if (Array.isArray(x)) return x.map(walk);
      if (x && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype) {
        const out: Record<string, unknown> = {};
        for (const [k, val] of Object.entries(x)) out[this.text(k)] = walk(val);
        return out;
      }
      return x;
    };
    return walk(v) as T;
  }
}

function escapeRegExp(s: string) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The value and what an upstream is likely to print of it. */
export function variants(value: string): Set<string> {
  const parts = new Set([value]);
  const bearer = /^Bearer\s+(\S+)$/i.exec(value);
  if (bearer) parts.add(bearer[1]!);
  try {
    const u = new URL(value);
    if (u.password) {
      parts.add(u.password);
      parts.add(decodeURIComponent(u.password));
    }
  } catch {
    // not a URL
  }
  const out = new Set<string>();
  for (const p of parts) {
    const b = Buffer.from(p, "utf8");
    out.add(p);
    out.add(encodeURIComponent(p));
    out.add(b.toString("base64"));
    out.add(b.toString("base64").replace(/=+$/, ""));
    out.add(b.toString("base64url"));
    out.add(JSON.stringify(p).slice(1, -1));
  }
  return out;
}

/** The headers released for the upstream request being sent in this async context (and nothing else). */
const injected = new AsyncLocalStorage<Record<string, string>>();

/** Runs `fn` (one upstream request) with these headers added to what it sends over HTTP. */
export function withHeaders<T>(headers: Record<string, string> | null, fn: () => Promise<T>): Promise<T> {
  return headers && Object.keys(headers).length ? injected.run(headers, fn) : fn();
}

/** Runs `fn` without the headers of the request under way (what it starts lives longer than that request). */
export function withoutHeaders<T>(fn: () => Promise<T>): Promise<T> {
  return injected.exit(fn);
}

/**
 * The fetch of a session's HTTP upstream transport: adds the headers of the request being forwarded,
 * when there are any. The MCP handshake, listing and the standalone stream carry none.
 */
export const injectingFetch: FetchLike = (url, init) => {
  const extra = injected.getStore();
  if (!extra) return nodeFetch(url, init);
  const headers = new Headers(init?.headers);
  for (const [k, v] of Object.entries(extra)) headers.set(k, v);
  return nodeFetch(url, { ...init, headers });
};

const needs = (c: Connection, where: "header" | "env", tool?: string) =>
  (c.credentials ?? []).some((k) => where in k.inject && (tool === undefined || k.tools.includes(tool)));

/** Asks Lanyard for credentials and remembers every value for scrubbing. */
export class GatewayVault {
  readonly scrubber = new Scrubber();
  constructor(private readonly lanyard: LanyardClient) {}

  /**
   * The headers of one allowed call to an HTTP upstream: released for that decision when a credential of
   * the connection serves the tool; null when none does (nothing is asked).
   */
  async headersFor(c: Connection, tool: string, decisionId: string): Promise<Record<string, string> | null> {
    if (c.transport.type !== "http" || !needs(c, "header", tool)) return null;
    const released = await this.release(() => this.lanyard.releaseCredentials({ decisionId, connectionId: c.id }), c);
    const headers: Record<string, string> = {};
    for (const k of released) if ("header" in k.inject) headers[k.inject.header] = k.value;
    return headers;
  }

  /** A stdio upstream's environment for one session of one lease: released at its start, when it needs any. */
  async envFor(c: Connection, leaseToken: string): Promise<Record<string, string>> {
    if (c.transport.type !== "stdio" || !needs(c, "env")) return {};
    const released = await this.release(() => this.lanyard.releaseCredentials({ leaseToken, connectionId: c.id }), c);
    const env: Record<string, string> = {};
    for (const k of released) if ("env" in k.inject) env[k.inject.env] = k.value;
    return env;
  }

  private async release(ask: () => Promise<ReleasedCredential[]>, c: Connection): Promise<ReleasedCredential[]> {
    let released: ReleasedCredential[];
    try {
      released = await ask();
    } catch (err) {
      throw new CredentialsRefused(`the vault did not release the credentials of ${c.name} (${(err as Error).message})`);
    }
    for (const k of released) this.scrubber.add(k.value, k.expiresAt ? Date.parse(k.expiresAt) : undefined);
    return released;
  }
}
