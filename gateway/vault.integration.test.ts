// The vault through the gateway, with real parts: the gateway in its own process (npm run gateway), the
// real Lanyard HTTP front and route handlers, @modelcontextprotocol/server-postgres over stdio against
// the test PostgreSQL with a dynamic login per lease, and an SDK server over HTTP that checks the
// credentials it is sent. The agent is the SDK's client; everything it received is recorded.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { createRemoteJWKSet, jwtVerify } from "jose";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createConnection } from "@/lib/connections/connections";
import { ConnectionCreate } from "@/lib/connections/schemas";
import { exportStream } from "@/lib/audit/export";
import { createCredential } from "@/lib/credentials/credentials";
import { CredentialCreate } from "@/lib/credentials/schemas";
import { unseal } from "@/lib/credentials/secret";
import { db } from "@/lib/db";
import { completeLease, revokeLease } from "@/lib/leases/lifecycle";
import { ensureReceipt } from "@/lib/receipts/receipt";
import { ISSUER } from "@/lib/tokens/lease-token";
import { seedCatalog } from "@/prisma/seed";
import { ownerDb } from "@/test/owner-db";
import { seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";
import { startLanyardApi } from "@/test/lanyard-api-server";
import { variants } from "./vault";

const tag = randomBytes(4).toString("hex");
const group = `gw_readers_${tag}`;
const table = `gw_rows_${tag}`;
const AUDIENCE = `urn:lanyard-test:upstream-${tag}`;
const CANARY = `canary_${randomBytes(24).toString("hex")}`;
const adminUrl = () => inject("ownerDatabaseUrl");

async function admin<T>(f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl() });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}
const roleExists = (name: string) => admin(async (c) => ((await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [name])).rowCount ?? 0) > 0);
const sessionsOf = (name: string) => admin(async (c) => Number((await c.query("SELECT count(*) AS n FROM pg_stat_activity WHERE usename = $1", [name])).rows[0].n));
async function until(check: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("");

// ---- the HTTP upstream: checks the credentials of each call, records every request's headers ----
const upstreamSeen = { headers: [] as Record<string, string | string[] | undefined>[], useKey: 0 };
let upstream: http.Server;
const jwks = () => createRemoteJWKSet(new URL(`${lanyard.url}/.well-known/jwks.json`));

function startUpstream(): Promise<string> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  upstream = http.createServer(async (req, res) => {
    upstreamSeen.headers.push({ ...req.headers });
    const sid = req.headers["mcp-session-id"];
    if (typeof sid === "string" && transports.has(sid)) return transports.get(sid)!.handleRequest(req, res);
    const mcp = new McpServer({ name: "checks-credentials", version: "1.0.0" });
    mcp.registerTool("whoami", { description: "who the on-behalf-of token says is calling" }, async (extra) => {
      const auth = extra.requestInfo?.headers.authorization;
      const token = typeof auth === "string" ? /^Bearer (.+)$/.exec(auth)?.[1] : undefined;
      if (!token) return { isError: true, content: [{ type: "text", text: "no bearer token" }] };
      try {
        const { payload } = await jwtVerify(token, jwks(), { issuer: ISSUER, audience: AUDIENCE, typ: "at+jwt" });
        return { content: [{ type: "text", text: JSON.stringify({ sub: payload.sub, act: payload.act, scope: payload.scope }) }] };
      } catch (err) {
        return { isError: true, content: [{ type: "text", text: `token refused: ${(err as Error).message}` }] };
      }
    });
    mcp.registerTool("use_key", { description: "needs X-Api-Key" }, async (extra) => {
      if (extra.requestInfo?.headers["x-api-key"] !== CANARY) return { isError: true, content: [{ type: "text", text: "bad key" }] };
      upstreamSeen.useKey++;
      return { content: [{ type: "text", text: "used the key" }] };
    });
    mcp.registerTool("fail_with_key", { description: "fails, echoing the key it got" }, async (extra) => {
      const k = String(extra.requestInfo?.headers["x-api-key"]);
      throw new Error(`key ${k} rejected (base64 ${Buffer.from(k).toString("base64")}, url ${encodeURIComponent(k)}, json ${JSON.stringify({ k })})`);
    });
    const t: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => void transports.set(id, t) });
    await mcp.connect(t);
    await t.handleRequest(req, res);
  });
  return new Promise((r) => upstream.listen(0, "127.0.0.1", () => r(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}/mcp`)));
}

// ---- the gateway in its own process; its stdout and stderr are kept ----
type GatewayProc = { url: URL; proc: ChildProcess; output: () => string };
const gateways: GatewayProc[] = [];
async function startGateway(key: string): Promise<GatewayProc> {
  const proc = spawn(process.execPath, [path.resolve("node_modules/tsx/dist/cli.mjs"), path.resolve("gateway/main.ts"), "--port", "0"], {
    // Only what it needs: not this process's DATABASE_URL and the like.
    env: Object.assign({} as NodeJS.ProcessEnv, getDefaultEnvironment(), { LANYARD_URL: lanyard.url, LANYARD_GATEWAY_KEY: key, LANYARD_GATEWAY_DEBUG: "1" }),
    stdio: ["ignore", "pipe", "pipe"],
  }) as ChildProcess;
  let out = "";
  proc.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  proc.stderr!.on("data", (b: Buffer) => (out += b.toString()));
  let port = 0;
  await until(async () => !!(port = Number(/MCP at http:\/\/127\.0\.0\.1:(\d+)\/mcp/.exec(out)?.[1] ?? 0)), `the gateway to listen (output: ${out})`);
  const g = { url: new URL(`http://127.0.0.1:${port}/mcp`), proc, output: () => out };
  gateways.push(g);
  return g;
}

// ---- the agent: every MCP message and HTTP response header it received ----
const agentSeen: string[] = [];
const clients: Client[] = [];
async function agent(g: GatewayProc, leaseToken: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(g.url, {
    requestInit: { headers: { authorization: `Bearer ${leaseToken}` } },
    fetch: async (u, init) => {
      const res = await fetch(u, init);
      agentSeen.push(JSON.stringify([res.status, [...res.headers]]));
      return res;
    },
  });
  // Record each message as the client's protocol layer receives it (set by connect: wrapped here).
  let handler: ((m: unknown, e?: unknown) => void) | undefined;
  Object.defineProperty(transport, "onmessage", {
    configurable: true,
    get: () => handler,
    set: (f?: (m: unknown, e?: unknown) => void) => (handler = f && ((m, e) => (agentSeen.push(JSON.stringify(m)), f(m, e)))),
  });
  const client = new Client({ name: "agent", version: "1.0.0" });
  await client.connect(transport);
  clients.push(client);
  return client;
}

let lanyard: Awaited<ReturnType<typeof startLanyardApi>>;
let gw: GatewayProc;
let key: string;
let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>;
let bare: Awaited<ReturnType<typeof seedEnforcementPoint>>;
const lease = () => seedLease(db(), { grants: [{ tool: "repo.read" }, { tool: "repo.commit" }], requireApproval: [] });

beforeAll(async () => {
  await admin(async (c) => {
    await c.query(`CREATE ROLE ${group} NOLOGIN`);
    await c.query(`CREATE TABLE ${table} (v text)`);
    await c.query(`INSERT INTO ${table} VALUES ('hello from postgres')`);
    await c.query(`GRANT SELECT ON ${table} TO ${group}`);
  });
  await seedCatalog(db());
  const person = await seedPerson(db(), { role: "admin" });
  ep = await seedEnforcementPoint(db(), ["decisions:write", "escalations:write", "connections:read", "credentials:use"]);
  // The same connections, assigned to a key that may not use credentials: it must refuse, not forward.
  bare = await seedEnforcementPoint(db(), ["decisions:write", "escalations:write", "connections:read"]);
  key = ep.key;
  const pgCon = await createConnection(
    db(),
    person,
    ConnectionCreate.parse({
      name: `pg-${tag}`,
      transport: { type: "stdio", command: process.execPath, args: [path.resolve("scripts/mcp-server-postgres.mjs")] },
      tools: [{ upstream: "query", tool: "repo.read" }],
      enforcementPointIds: [ep.actor.id, bare.actor.id],
    }),
  );
  await createCredential(db(), person, pgCon.id, CredentialCreate.parse({ name: "DATABASE_URL", kind: "postgres-dynamic", inject: { env: "DATABASE_URL" }, tools: ["repo.read"], adminUrl: adminUrl(), groupRole: group, database: new URL(adminUrl()).pathname.slice(1) }));
  const httpCon = await createConnection(
    db(),
    person,
    ConnectionCreate.parse({
      name: `api-${tag}`,
      transport: { type: "http", url: await startUpstream() },
      tools: [{ upstream: "whoami", tool: "repo.read" }, { upstream: "use_key", tool: "repo.commit" }, { upstream: "fail_with_key", tool: "repo.commit" }],
      enforcementPointIds: [ep.actor.id, bare.actor.id],
    }),
  );
  await createCredential(db(), person, httpCon.id, CredentialCreate.parse({ name: "UPSTREAM_OBO", kind: "obo", inject: { header: "Authorization" }, tools: ["repo.read"], audience: AUDIENCE, ttlSeconds: 120 }));
  await createCredential(db(), person, httpCon.id, CredentialCreate.parse({ name: "API_KEY", kind: "static", inject: { header: "X-Api-Key" }, tools: ["repo.commit"], value: CANARY }));
  lanyard = await startLanyardApi();
  gw = await startGateway(key);
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  for (const g of gateways) g.proc.kill("SIGTERM");
  await Promise.all(gateways.map((g) => new Promise((r) => (g.proc.exitCode !== null ? r(null) : g.proc.once("exit", r)))));
  upstream?.closeAllConnections();
  await new Promise((r) => (upstream ? upstream.close(r) : r(null)));
  await lanyard?.stop();
  await admin(async (c) => {
    await c.query(`DROP TABLE IF EXISTS ${table}`);
    // Logins left by a failed test are members of the group: drop them first.
    const left = await c.query("SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member JOIN pg_roles g ON g.oid = m.roleid WHERE g.rolname = $1", [group]);
    for (const { rolname } of left.rows) await c.query(`DROP ROLE IF EXISTS "${rolname}"`);
    await c.query(`DROP ROLE IF EXISTS ${group}`);
  });
});

const loginOf = async (leaseId: string) => db().dynamicLogin.findFirst({ where: { leaseId } });

describe("the gateway and the vault", () => {
  it("server-postgres queries with the lease's own login; the role lives only as long as the lease (complete)", async () => {
    const l = await lease();
    const client = await agent(gw, l.leaseToken);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(["fail_with_key", "query", "use_key", "whoami"]);
    const r = (await client.callTool({ name: "query", arguments: { sql: `SELECT v FROM ${table}` } })) as CallToolResult;
    expect(r.isError).toBeFalsy();
    expect(textOf(r)).toContain("hello from postgres");
    const login = (await loginOf(l.lease.id))!;
    expect(await roleExists(login.roleName)).toBe(true);
    // The password the vault made never reached the agent.
    const { password } = unseal((await ownerDb().dynamicLogin.findUniqueOrThrow({ where: { id: login.id }, omit: { secret: false } })).secret, "dynamic-login", login.id);
    for (const v of variants(password!)) expect(agentSeen.join("\n")).not.toContain(v);
    await completeLease(db(), ep.actor, l.lease.id, l.leaseToken);
    expect(await roleExists(login.roleName)).toBe(false);
    const { receipt } = await ensureReceipt(db(), l.lease.id);
    expect(receipt.credentialsUsed).toEqual([expect.objectContaining({ name: "DATABASE_URL", kind: "postgres-dynamic", releases: 1 })]);
  }, 60_000);

  it("after a revoke the role and its open session are gone, and the next query is refused", async () => {
    const l = await lease();
    const client = await agent(gw, l.leaseToken);
    expect(textOf((await client.callTool({ name: "query", arguments: { sql: `SELECT v FROM ${table}` } })) as CallToolResult)).toContain("hello from postgres");
    const role = (await loginOf(l.lease.id))!.roleName;
    // server-postgres keeps its connection open in its pool.
    expect(await sessionsOf(role)).toBeGreaterThan(0);
    await revokeLease(db(), l.admin, l.lease.id, "test");
    expect(await roleExists(role)).toBe(false);
    await until(async () => (await sessionsOf(role)) === 0, "the login's session to end");
    const after = (await client.callTool({ name: "query", arguments: { sql: `SELECT v FROM ${table}` } })) as CallToolResult;
    expect(after.isError).toBe(true);
    expect(textOf(after)).toMatch(/lease_revoked/);
    expect(textOf(after)).not.toContain("hello from postgres");
  }, 60_000);

  it("an HTTP upstream that trusts Lanyard accepts the on-behalf-of token of each call (verified with the JWKS)", async () => {
    const l = await lease();
    const client = await agent(gw, l.leaseToken);
    const r = (await client.callTool({ name: "whoami", arguments: {} })) as CallToolResult;
    expect(r.isError).toBeFalsy();
    expect(JSON.parse(textOf(r))).toMatchObject({ act: { sub: l.lease.runId }, scope: "repo.read" });
    // The token went to that one call only: the handshake and listing carried no credential.
    const authorized = upstreamSeen.headers.filter((h) => h.authorization);
    expect(authorized.length).toBeGreaterThan(0);
    expect(upstreamSeen.headers.some((h) => !h.authorization && !h["x-api-key"])).toBe(true);
    for (const h of authorized) expect(h["x-api-key"]).toBeUndefined();
  }, 60_000);

  it("canary: a static key used for many calls never reaches the agent, Lanyard's or the gateway's output, the audit log or its export; an upstream error echoing it is scrubbed", async () => {
    // Everything this process prints while the gateway runs the calls: Lanyard's server runs in it.
    const printed: string[] = [];
    const originals = { out: process.stdout.write, err: process.stderr.write, log: console.log, error: console.error, warn: console.warn, info: console.info };
    const keep = (orig: (...a: never[]) => unknown) =>
      function (this: unknown, ...args: unknown[]) {
        printed.push(args.map((a) => (typeof a === "string" ? a : a instanceof Error ? `${a.message}\n${a.stack}` : (JSON.stringify(a) ?? String(a)))).join(" "));
        return (orig as (...a: unknown[]) => unknown).apply(this, args);
      };
    process.stdout.write = keep(originals.out as never) as typeof process.stdout.write;
    process.stderr.write = keep(originals.err as never) as typeof process.stderr.write;
    Object.assign(console, { log: keep(originals.log as never), error: keep(originals.error as never), warn: keep(originals.warn as never), info: keep(originals.info as never) });
    try {
      await canaryRun(printed);
    } finally {
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
      Object.assign(console, { log: originals.log, error: originals.error, warn: originals.warn, info: originals.info });
    }
  }, 60_000);

  async function canaryRun(printed: string[]) {
    const l = await lease();
    const client = await agent(gw, l.leaseToken);
    const before = upstreamSeen.useKey;
    const CALLS = 25;
    for (let i = 0; i < CALLS; i++) {
      const r = (await client.callTool({ name: "use_key", arguments: { i } })) as CallToolResult;
      expect(textOf(r)).toBe("used the key");
    }
    expect(upstreamSeen.useKey - before).toBe(CALLS);
    const failed = (await client.callTool({ name: "fail_with_key", arguments: {} })) as CallToolResult;
    expect(failed.isError).toBe(true);
    expect(textOf(failed)).toMatch(/key \[redacted\] rejected \(base64 \[redacted\], url \[redacted\], json/);
    await completeLease(db(), ep.actor, l.lease.id, l.leaseToken);
    const receipt = await ensureReceipt(db(), l.lease.id);
    expect(receipt.receipt.credentialsUsed).toEqual([expect.objectContaining({ name: "API_KEY", kind: "static", releases: CALLS + 1 })]);
    // What the gateway's key reads of its connections: where each credential goes, never a value.
    const connections = await (await fetch(`${lanyard.url}/api/v1/connections`, { headers: { authorization: `Bearer ${key}` } })).text();
    expect(JSON.parse(connections).connections.find((c: { name: string }) => c.name === `api-${tag}`).credentials).toEqual([
      { name: "API_KEY", kind: "static", inject: { header: "X-Api-Key" }, tools: ["repo.commit"] },
      { name: "UPSTREAM_OBO", kind: "obo", inject: { header: "Authorization" }, tools: ["repo.read"] },
    ]);
    // The run's audit events, decisions and outcomes as stored, and the audit export (the outcomes are reported off the call's path: wait for them).
    await expect.poll(() => db().decisionOutcome.count({ where: { decision: { leaseId: l.lease.id } } }), { timeout: 15_000 }).toBe(CALLS + 1);
    const stored = [
      ...(await ownerDb().$queryRaw<{ t: string }[]>`SELECT a::text AS t FROM audit_events a WHERE "runId" = ${l.lease.runId}`).map((r) => r.t),
      ...(await ownerDb().$queryRaw<{ t: string }[]>`SELECT d::text AS t FROM decisions d WHERE "leaseId" = ${l.lease.id}`).map((r) => r.t),
      ...(await ownerDb().$queryRaw<{ t: string }[]>`SELECT o::text AS t FROM decision_outcomes o JOIN decisions d ON d.id = o."decisionId" WHERE d."leaseId" = ${l.lease.id}`).map((r) => r.t),
    ];
    expect(stored.filter((t) => t.includes("credential.released"))).toHaveLength(CALLS + 1);
    const exported = [await new Response(exportStream({ runId: l.lease.runId }, "jsonl")).text(), await new Response(exportStream({ runId: l.lease.runId }, "csv")).text()];
    expect(exported[0]!.split("\n").filter((line) => line.includes('"decision.outcome"'))).toHaveLength(CALLS + 1);
    const everything = [agentSeen.join("\n"), ...gateways.map((g) => g.output()), printed.join("\n"), JSON.stringify(receipt), connections, ...stored, ...exported].join("\n");
    for (const v of variants(CANARY)) expect(everything).not.toContain(v);
    expect(agentSeen.length).toBeGreaterThan(CALLS * 2);
  }

  it("fails closed: a key that may not use credentials gets the call refused, and nothing is forwarded", async () => {
    const g = await startGateway(bare.key);
    const l = await lease();
    const client = await agent(g, l.leaseToken);
    const before = upstreamSeen.useKey;
    const r = (await client.callTool({ name: "use_key", arguments: {} })) as CallToolResult;
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/vault did not release.*fail closed/);
    expect(upstreamSeen.useKey).toBe(before);
    // A stdio upstream that needs its environment is not started without it.
    const q = (await client.callTool({ name: "query", arguments: { sql: `SELECT v FROM ${table}` } })) as CallToolResult;
    expect(q.isError).toBe(true);
    expect(textOf(q)).toMatch(/vault did not release.*fail closed/);
    expect(await loginOf(l.lease.id)).toBeNull();
  }, 60_000);
});
