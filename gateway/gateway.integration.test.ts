// End to end with real parts: the SDK's MCP client → the gateway (Streamable HTTP) → the npm filesystem
// MCP server over stdio on a temporary folder, the gateway asking a real Lanyard (its HTTP server and
// route handlers, the test database) through a TCP pass-through the last test cuts.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect as netConnect, type AddressInfo } from "node:net";
import { request as httpRequest } from "node:http";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnection } from "@/lib/connections/connections";
import { ConnectionCreate } from "@/lib/connections/schemas";
import { db } from "@/lib/db";
import { castVote } from "@/lib/escalations/vote";
import { revokeLease } from "@/lib/leases/lifecycle";
import { seedCatalog } from "@/prisma/seed";
import { seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";
import { startLanyardApi } from "@/test/lanyard-api-server";
import { startTcpProxy } from "@/test/tcp-proxy";
import { Gateway } from "./gateway";
import { createGatewayHttpServer, HEADERS_GRACE_MS } from "./http";
import { argumentsDigest, createLanyardClient, resultDigest } from "./sdk";

const FS_SERVER = path.resolve("node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");

let dir: string;
let lanyard: Awaited<ReturnType<typeof startLanyardApi>>;
let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
let gateway: Gateway;
let http: ReturnType<typeof createGatewayHttpServer>;
let mcpUrl: URL;
let gatewayKey: string;
const clients: Client[] = [];

async function connect(token?: string): Promise<Client> {
  const client = new Client({ name: "test-agent", version: "1.0.0" });
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  await client.connect(new StreamableHTTPClientTransport(mcpUrl, { requestInit: { headers } }));
  clients.push(client);
  return client;
}
const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("");

/** A lease over the temporary folder: read under public/, write under public/out/, deploys step up. */
function leaseFor(extra: { grants?: { tool: string; resource?: { type: string; ids: string[] } }[]; requireApproval?: string[] } = {}) {
  return seedLease(db(), {
    grants: extra.grants ?? [
      { tool: "repo.read", resource: { type: "path", ids: [`${dir}/public/*`] } },
      { tool: "repo.commit", resource: { type: "path", ids: [`${dir}/public/out/*`] } },
    ],
    requireApproval: extra.requireApproval ?? [],
  });
}

beforeAll(async () => {
  await seedCatalog(db());
  dir = mkdtempSync(path.join(os.tmpdir(), "lanyard-gw-"));
  mkdirSync(`${dir}/public/out`, { recursive: true });
  writeFileSync(`${dir}/public/hello.txt`, "hello from the granted folder");
  writeFileSync(`${dir}/secret.txt`, "the secret outside the grant");

  const admin = await seedPerson(db(), { role: "admin" });
  const ep = await seedEnforcementPoint(db(), ["decisions:write", "escalations:write", "connections:read"]);
  gatewayKey = ep.key;
  await createConnection(
    db(),
    admin,
    ConnectionCreate.parse({
      name: `fs-${Math.random().toString(36).slice(2, 8)}`,
      transport: { type: "stdio", command: process.execPath, args: [FS_SERVER, dir] },
      tools: [
        { upstream: "read_text_file", tool: "repo.read", resource: { type: "path", argument: "path" } },
        { upstream: "list_directory", tool: "repo.read", resource: { type: "path", argument: "path" } },
        { upstream: "write_file", tool: "repo.commit", resource: { type: "path", argument: "path" } },
        // Mapped to a tool no test lease grants: never listed.
        { upstream: "move_file", tool: "production.deploy" },
        // get_file_info, directory_tree, …: not mapped, so invisible and uncallable.
      ],
      enforcementPointIds: [ep.actor.id],
    }),
  );

  lanyard = await startLanyardApi();
  proxy = await startTcpProxy({ host: "127.0.0.1", port: lanyard.port });
  gateway = new Gateway({ lanyard: createLanyardClient({ url: `http://127.0.0.1:${proxy.port}`, key: ep.key, timeoutMs: 10_000 }), escalationPollSeconds: 1, leaseRefreshMs: 60_000, log: () => {} });
  await gateway.start();
  http = createGatewayHttpServer(gateway);
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  mcpUrl = new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  http?.closeAllConnections();
  await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
  await gateway?.close();
  await proxy?.cut().catch(() => {});
  await lanyard?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the MCP gateway", () => {
  it("refuses a session without a lease token, with a bad one, or with a dead one", async () => {
    await expect(connect()).rejects.toThrow(/lease token is required/);
    await expect(connect("not-a-token")).rejects.toThrow(/token_invalid/);
    const { lease, leaseToken, admin } = await leaseFor();
    await revokeLease(db(), admin, lease.id, "test");
    await expect(connect(leaseToken)).rejects.toThrow(/lease_revoked/);
  });

  it("lists only mapped tools the lease can use, with the catalog's read-only flag", async () => {
    const readOnly = await connect((await leaseFor({ grants: [{ tool: "repo.read", resource: { type: "path", ids: [`${dir}/public/*`] } }] })).leaseToken);
    expect((await readOnly.listTools()).tools.map((t) => t.name).sort()).toEqual(["list_directory", "read_text_file"]);
    const both = await connect((await leaseFor()).leaseToken);
    const tools = (await both.listTools()).tools;
    expect(tools.map((t) => t.name).sort()).toEqual(["list_directory", "read_text_file", "write_file"]);
    expect(tools.find((t) => t.name === "read_text_file")?.annotations?.readOnlyHint).toBe(true);
    expect(tools.find((t) => t.name === "write_file")?.annotations?.readOnlyHint).toBe(false);
    // Unmapped and ungranted tools cannot be called either: a protocol error, nothing forwarded.
    await expect(both.callTool({ name: "get_file_info", arguments: { path: `${dir}/secret.txt` } })).rejects.toThrow(/Unknown tool/);
  });

  it("forwards an allowed read and returns the upstream's result unchanged; each call is a decision", async () => {
    const { lease, leaseToken } = await leaseFor();
    const client = await connect(leaseToken);
    const r = (await client.callTool({ name: "read_text_file", arguments: { path: `${dir}/public/hello.txt` } })) as CallToolResult;
    expect(r.isError).toBeFalsy();
    expect(textOf(r)).toBe("hello from the granted folder");
    const decisions = await db().decision.findMany({ where: { leaseId: lease.id } });
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ tool: "repo.read", outcome: "allow", arguments: { path: `${dir}/public/hello.txt` }, argumentsDigest: argumentsDigest({ path: `${dir}/public/hello.txt` }) });
    // The outcome is reported right after the result comes back (off the call's path): decision → decision.outcome, with the result's digest.
    await expect.poll(() => db().auditEvent.findFirst({ where: { decisionId: decisions[0]!.id, action: "decision.outcome" } }), { timeout: 10_000 }).toMatchObject({
      outcome: "ok",
      payload: { status: "ok", resultDigest: resultDigest(r), durationMs: expect.any(Number) },
    });
    // An upstream's error result is an allowed call whose outcome is error.
    const missing = (await client.callTool({ name: "read_text_file", arguments: { path: `${dir}/public/nope.txt` } })) as CallToolResult;
    expect(missing.isError).toBe(true);
    const second = await db().decision.findFirstOrThrow({ where: { leaseId: lease.id, id: { not: decisions[0]!.id } } });
    await expect.poll(() => db().decisionOutcome.findUnique({ where: { decisionId: second.id } }), { timeout: 10_000 }).toMatchObject({ status: "error", resultDigest: resultDigest(missing) });
  });

  it("denies a write outside the granted path: an error result naming the rule, the file untouched", async () => {
    const client = await connect((await leaseFor()).leaseToken);
    const r = (await client.callTool({ name: "write_file", arguments: { path: `${dir}/secret.txt`, content: "overwritten" } })) as CallToolResult;
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/resource_out_of_scope/);
    expect(readFileSync(`${dir}/secret.txt`, "utf8")).toBe("the secret outside the grant");
  });

  it("decides a path after normalizing it: ../ out of the granted folder is denied, nothing read", async () => {
    const client = await connect((await leaseFor()).leaseToken);
    const r = (await client.callTool({ name: "read_text_file", arguments: { path: `${dir}/public/../secret.txt` } })) as CallToolResult;
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/resource_out_of_scope/);
    expect(textOf(r)).not.toContain("the secret");
    const relative = (await client.callTool({ name: "read_text_file", arguments: { path: "secret.txt" } })) as CallToolResult;
    expect(relative.isError).toBe(true);
    expect(textOf(relative)).toMatch(/absolute path/);
  });

  it("holds a step-up call, sends progress while people decide, and completes it once approved", async () => {
    const { lease, leaseToken } = await leaseFor({ requireApproval: ["repo.commit"] });
    const client = await connect(leaseToken);
    const progress: string[] = [];
    const call = client.callTool({ name: "write_file", arguments: { path: `${dir}/public/out/approved.txt`, content: "approved" } }, undefined, {
      onprogress: (p) => void progress.push(p.message ?? ""),
      timeout: 60_000,
    }) as Promise<CallToolResult>;
    let esc: { id: string } | null = null;
    for (let i = 0; i < 300 && !esc; i++) {
      esc = await db().escalation.findFirst({ where: { leaseId: lease.id, status: "pending" } });
      if (!esc) await new Promise((r) => setTimeout(r, 100));
    }
    expect(esc).not.toBeNull();
    expect(existsSync(`${dir}/public/out/approved.txt`)).toBe(false);
    const approver = await seedPerson(db(), { role: "approver" });
    await castVote(db(), approver, esc!.id, "approve", "looks right");
    const r = await call;
    expect(textOf(r)).not.toMatch(/Denied|Refused/);
    expect(readFileSync(`${dir}/public/out/approved.txt`, "utf8")).toBe("approved");
    // People saw the exact call; the approval was used for those arguments, and the outcome followed.
    const args = { path: `${dir}/public/out/approved.txt`, content: "approved" };
    expect(await db().escalation.findUniqueOrThrow({ where: { id: esc!.id } })).toMatchObject({ arguments: args, argumentsDigest: argumentsDigest(args), status: "consumed" });
    await expect
      .poll(() => db().decision.findFirst({ where: { leaseId: lease.id, outcome: "allow" }, include: { callOutcome: true } }), { timeout: 10_000 })
      .toMatchObject({ argumentsDigest: argumentsDigest(args), approvalId: expect.stringMatching(/^apr_/), callOutcome: { status: "ok" } });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]).toMatch(/waiting for a person/);
  });

  it("answers malformed JSON-RPC and unknown methods with protocol errors, and keeps serving", async () => {
    const { leaseToken } = await leaseFor();
    const client = await connect(leaseToken);
    const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId!;
    const headers = { authorization: `Bearer ${leaseToken}`, "mcp-session-id": sessionId, "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18" };
    const bad = await fetch(mcpUrl, { method: "POST", headers, body: "{not json" });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe(-32700);
    const unknown = await fetch(mcpUrl, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "no/such_method", params: {} }) });
    const body = await unknown.text();
    expect(body).toMatch(/-32601/);
    // Another token cannot ride this session.
    const other = await fetch(mcpUrl, { method: "POST", headers: { ...headers, authorization: `Bearer ${(await leaseFor()).leaseToken}` }, body: JSON.stringify({ jsonrpc: "2.0", id: 8, method: "tools/list" }) });
    expect(other.status).toBe(403);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
  });

  it("sends an SSE answer's headers with its first event (one write), and a held call's headers after a grace", async () => {
    const { leaseToken } = await leaseFor({ requireApproval: ["repo.commit"] });
    const client = await connect(leaseToken);
    const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId!;
    /** A raw POST of one tools/call; resolves with what arrived, chunk by chunk, until `enough` says stop. */
    const post = (id: number, name: string, args: Record<string, unknown>, enough: (seen: string) => boolean) =>
      new Promise<{ chunks: string[]; ms: number }>((resolve, reject) => {
        const body = JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });
        const socket = netConnect(Number(mcpUrl.port), "127.0.0.1");
        const chunks: string[] = [];
        const started = performance.now();
        socket.on("data", (b: Buffer) => {
          chunks.push(b.toString("utf8"));
          if (enough(chunks.join(""))) {
            socket.destroy();
            resolve({ chunks, ms: performance.now() - started });
          }
        });
        socket.on("error", reject);
        socket.write(
          `POST /mcp HTTP/1.1\r\nhost: 127.0.0.1:${mcpUrl.port}\r\nauthorization: Bearer ${leaseToken}\r\nmcp-session-id: ${sessionId}\r\nmcp-protocol-version: 2025-06-18\r\n` +
            `content-type: application/json\r\naccept: application/json, text/event-stream\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
      });
    // The session's own upstream is started by its first call: not what is measured here.
    await client.callTool({ name: "read_text_file", arguments: { path: `${dir}/public/hello.txt` } });
    // Before, the headers went out alone as soon as the request was read, the event after the decision and the upstream.
    const read = await post(41, "read_text_file", { path: `${dir}/public/hello.txt` }, (seen) => seen.includes("hello from the granted folder"));
    expect(read.chunks[0]).toMatch(/^HTTP\/1\.1 200/);
    expect(read.chunks[0]).toContain("hello from the granted folder");
    // Held for approval, without a progress token (so no event for a while): the answer still begins.
    const held = await post(42, "write_file", { path: `${dir}/public/out/held.txt`, content: "x" }, (seen) => seen.includes("\r\n\r\n"));
    expect(held.chunks.join("")).toMatch(/^HTTP\/1\.1 200[\s\S]*content-type: text\/event-stream/i);
    // After the grace (before: at once), and long before anything else would have sent them.
    expect(held.ms).toBeGreaterThanOrEqual(HEADERS_GRACE_MS - 50);
    expect(held.ms).toBeLessThan(HEADERS_GRACE_MS + 5_000);
    expect(held.chunks.join("")).not.toContain("event: message");
    expect(existsSync(`${dir}/public/out/held.txt`)).toBe(false);
  });

  it("refuses a Host or Origin it is not served as (DNS rebinding), and serves localhost", async () => {
    const { leaseToken } = await leaseFor();
    const initialize = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } });
    const post = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(mcpUrl, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${leaseToken}`, ...headers } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on("error", reject);
        req.end(initialize);
      });
    expect(await post({ host: "evil.example.com" })).toBe(403);
    expect(await post({ host: `evil.example.com:${mcpUrl.port}` })).toBe(403);
    expect(await post({ host: `127.0.0.1:${mcpUrl.port}`, origin: "http://evil.example.com" })).toBe(403);
    expect(await post({ host: `localhost:${mcpUrl.port}`, origin: `http://localhost:${mcpUrl.port}` })).toBe(200);
  });

  it("survives an upstream that dies: the call fails as an error result, the server is started again", async () => {
    const client = await connect((await leaseFor()).leaseToken);
    // The session's own upstream process (opened by its first call) and the pool's: kill them all.
    expect(textOf((await client.callTool({ name: "read_text_file", arguments: { path: `${dir}/public/hello.txt` } })) as CallToolResult)).toBe("hello from the granted folder");
    const pids = gateway.processIds();
    const [pid] = Object.values(gateway.pool.processIds());
    expect(pids.length).toBeGreaterThanOrEqual(2);
    for (const p of pids) process.kill(p, "SIGKILL");
    let r: CallToolResult | undefined;
    for (let i = 0; i < 200; i++) {
      r = (await client.callTool({ name: "read_text_file", arguments: { path: `${dir}/public/hello.txt` } })) as CallToolResult;
      if (!r.isError) break;
      expect(textOf(r)).toMatch(/upstream/i);
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(textOf(r!)).toBe("hello from the granted folder");
    // The session got a new upstream process; the pool restarts its own.
    expect(gateway.processIds().filter((p) => pids.includes(p))).toEqual([]);
    for (let i = 0; i < 200 && !(Object.values(gateway.pool.processIds())[0]! > 0); i++) await new Promise((res) => setTimeout(res, 100));
    expect(Object.values(gateway.pool.processIds())[0]).not.toBe(pid);
  });

  it("serves a desktop client over stdio (npm run gateway -- --stdio) with the token from the environment", async () => {
    const launch = (token: string) =>
      new StdioClientTransport({
        command: process.execPath,
        args: [path.resolve("node_modules/tsx/dist/cli.mjs"), path.resolve("gateway/main.ts"), "--stdio"],
        env: { ...getDefaultEnvironment(), LANYARD_URL: lanyard.url, LANYARD_GATEWAY_KEY: gatewayKey, LANYARD_LEASE_TOKEN: token, LANYARD_GATEWAY_SEND_ARGUMENTS: "0" },
        stderr: "pipe",
      });
    const client = new Client({ name: "desktop", version: "1.0.0" });
    const desktop = await leaseFor();
    await client.connect(launch(desktop.leaseToken));
    clients.push(client);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(["list_directory", "read_text_file", "write_file"]);
    const r = (await client.callTool({ name: "read_text_file", arguments: { path: `${dir}/public/hello.txt` } })) as CallToolResult;
    expect(textOf(r)).toBe("hello from the granted folder");
    // LANYARD_GATEWAY_SEND_ARGUMENTS=0: the decision carries the digest of the arguments, not their values.
    await expect
      .poll(() => db().decision.findFirst({ where: { leaseId: desktop.lease.id }, include: { callOutcome: true } }), { timeout: 10_000 })
      .toMatchObject({ arguments: null, argumentsDigest: argumentsDigest({ path: `${dir}/public/hello.txt` }), callOutcome: { status: "ok" } });
    // A dead token: the gateway says why on stderr and exits before serving anything.
    const dead = launch("not-a-token");
    let stderr = "";
    dead.stderr?.on("data", (b: Buffer) => (stderr += b.toString()));
    await expect(new Client({ name: "desktop", version: "1.0.0" }).connect(dead)).rejects.toThrow();
    for (let i = 0; i < 100 && !stderr.includes("token_invalid"); i++) await new Promise((res) => setTimeout(res, 100));
    expect(stderr).toMatch(/token_invalid/);
  }, 120_000);

  it("fails closed when Lanyard is unreachable: the call is refused and nothing reaches the upstream", async () => {
    const client = await connect((await leaseFor()).leaseToken);
    await proxy.cut();
    const r = (await client.callTool({ name: "write_file", arguments: { path: `${dir}/public/out/unreachable.txt`, content: "x" } })) as CallToolResult;
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/unreachable|did not answer/);
    expect(textOf(r)).toMatch(/fail closed/);
    expect(existsSync(`${dir}/public/out/unreachable.txt`)).toBe(false);
    await expect(connect((await leaseFor()).leaseToken)).rejects.toThrow(/fail closed/);
  });
});
