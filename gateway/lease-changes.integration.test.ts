// The lease changing under a live MCP session (issue 12, item 4 and its tests): budget exhaustion and
// revocation mid-session refuse the next call, shrink tools/list and send notifications/tools/list_changed;
// an approved more_permission grows the list and is announced; an oversized message is a protocol error.
// Real parts: the SDK's MCP client → the gateway (Streamable HTTP) → server-filesystem over stdio, the
// gateway asking a real Lanyard (its HTTP server and route handlers, the test database).
import http from "node:http";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ToolListChangedNotificationSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnection } from "@/lib/connections/connections";
import { ConnectionCreate } from "@/lib/connections/schemas";
import { db } from "@/lib/db";
import { createEscalation } from "@/lib/escalations/create";
import { castVote } from "@/lib/escalations/vote";
import { revokeLease } from "@/lib/leases/lifecycle";
import { seedCatalog } from "@/prisma/seed";
import { seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";
import { startLanyardApi } from "@/test/lanyard-api-server";
import { Gateway } from "./gateway";
import { createGatewayHttpServer } from "./http";
import { createLanyardClient } from "./sdk";

const FS_SERVER = path.resolve("node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");

let dir: string;
let lanyard: Awaited<ReturnType<typeof startLanyardApi>>;
let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>;
const clients: Client[] = [];
const faults: http.Server[] = [];
const fronts: { gateway: Gateway; http: ReturnType<typeof createGatewayHttpServer>; url: URL }[] = [];

/** A gateway of its own: `leaseRefreshMs` is how often each session re-reads its lease (the product default when absent). */
async function startGateway(leaseRefreshMs?: number, o: { url?: string; timeoutMs?: number } = {}) {
  const gateway = new Gateway({ lanyard: createLanyardClient({ url: o.url ?? lanyard.url, key: ep.key, timeoutMs: o.timeoutMs ?? 10_000 }), escalationPollSeconds: 1, leaseRefreshMs, log: () => {} });
  await gateway.start();
  const http = createGatewayHttpServer(gateway);
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  const front = { gateway, http, url: new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`) };
  fronts.push(front);
  return front;
}

/** A session that counts the tools/list_changed notifications it receives. */
async function connect(url: URL, token: string) {
  const client = new Client({ name: "test-agent", version: "1.0.0" });
  const changed: number[] = [];
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed.push(Date.now()));
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  clients.push(client);
  return { client, changed, names: async () => (await client.listTools()).tools.map((t) => t.name).sort() };
}
const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("");
const read = (c: Client) => c.callTool({ name: "read_text_file", arguments: { path: `${dir}/public/hello.txt` } }) as Promise<CallToolResult>;
const write = (c: Client, name: string) => c.callTool({ name: "write_file", arguments: { path: `${dir}/public/out/${name}`, content: "x" } }) as Promise<CallToolResult>;

const readAndWrite = () => [
  { tool: "repo.read", resource: { type: "path", ids: [`${dir}/public/*`] } },
  { tool: "repo.commit", resource: { type: "path", ids: [`${dir}/public/out/*`] } },
];

beforeAll(async () => {
  await seedCatalog(db());
  dir = mkdtempSync(path.join(os.tmpdir(), "lanyard-gw-lease-"));
  mkdirSync(`${dir}/public/out`, { recursive: true });
  writeFileSync(`${dir}/public/hello.txt`, "hello from the granted folder");
  const admin = await seedPerson(db(), { role: "admin" });
  ep = await seedEnforcementPoint(db(), ["decisions:write", "escalations:write", "connections:read"]);
  await createConnection(
    db(),
    admin,
    ConnectionCreate.parse({
      name: `fs-lease-${Math.random().toString(36).slice(2, 8)}`,
      transport: { type: "stdio", command: process.execPath, args: [FS_SERVER, dir] },
      tools: [
        { upstream: "read_text_file", tool: "repo.read", resource: { type: "path", argument: "path" } },
        { upstream: "write_file", tool: "repo.commit", resource: { type: "path", argument: "path" } },
      ],
      enforcementPointIds: [ep.actor.id],
    }),
  );
  lanyard = await startLanyardApi();
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  for (const f of fronts) {
    f.http.closeAllConnections();
    await new Promise<void>((r) => f.http.close(() => r()));
    await f.gateway.close();
  }
  for (const f of faults) {
    f.closeAllConnections();
    await new Promise<void>((r) => f.close(() => r()));
  }
  await lanyard?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the gateway follows the lease mid-session", () => {
  it("budget exhaustion: the call past the budget is refused and not forwarded, list_changed is sent at once, the list empties", async () => {
    // Lease refresh far away: what the agent learns here comes from the decisions themselves.
    const { url } = await startGateway(600_000);
    const { leaseToken } = await seedLease(db(), { grants: readAndWrite(), maxToolCalls: 2 });
    const s = await connect(url, leaseToken);
    expect(await s.names()).toEqual(["read_text_file", "write_file"]);
    expect(textOf(await read(s.client))).toBe("hello from the granted folder");
    expect(textOf(await read(s.client))).toBe("hello from the granted folder"); // the last call of the budget
    await expect.poll(() => s.changed.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    const r = await write(s.client, "over-budget.txt");
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/Denied by Lanyard: .*(budget|exhausted)/i);
    expect(existsSync(`${dir}/public/out/over-budget.txt`)).toBe(false);
    expect(await s.names()).toEqual([]);
  }, 60_000);

  it("revoke: the next call is refused and not forwarded, list_changed is sent, the list empties", async () => {
    const { url } = await startGateway(600_000);
    const { lease, leaseToken, admin } = await seedLease(db(), { grants: readAndWrite() });
    const s = await connect(url, leaseToken);
    expect(await s.names()).toEqual(["read_text_file", "write_file"]);
    expect(textOf(await read(s.client))).toBe("hello from the granted folder");
    await revokeLease(db(), admin, lease.id, "test: revoked mid-session");
    const r = await write(s.client, "after-revoke.txt");
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/Denied by Lanyard: .*revoked/i);
    expect(existsSync(`${dir}/public/out/after-revoke.txt`)).toBe(false);
    await expect.poll(() => s.changed.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    expect(await s.names()).toEqual([]);
  }, 60_000);

  it("with the default refresh, a revoke nobody calls after, and an approved more_permission, are announced within seconds", async () => {
    const { url } = await startGateway();
    // more_permission: the lease reads only; a commit is granted while the session is open.
    const grown = await seedLease(db(), { grants: [readAndWrite()[0]!] });
    const g = await connect(url, grown.leaseToken);
    expect(await g.names()).toEqual(["read_text_file"]);
    const { escalation } = await createEscalation(db(), ep.actor, { leaseToken: grown.leaseToken, kind: "more_permission", tool: "repo.commit", resource: { type: "path", id: `${dir}/public/out/granted.txt` }, justification: "write the report" });
    // revoke: this session makes no call after it.
    const gone = await seedLease(db(), { grants: readAndWrite() });
    const v = await connect(url, gone.leaseToken);
    expect(await v.names()).toEqual(["read_text_file", "write_file"]);

    const approvedAt = Date.now();
    await castVote(db(), await seedPerson(db(), { role: "approver" }), escalation.id, "approve", "fine");
    await revokeLease(db(), gone.admin, gone.lease.id, "test: revoked while idle");
    await expect.poll(() => g.changed.length, { timeout: 20_000, interval: 50 }).toBeGreaterThanOrEqual(1);
    await expect.poll(() => v.changed.length, { timeout: 20_000, interval: 50 }).toBeGreaterThanOrEqual(1);
    console.log(`list_changed after the approval: ${g.changed[0]! - approvedAt} ms; after the revoke: ${v.changed[0]! - approvedAt} ms`);
    expect(await g.names()).toEqual(["read_text_file", "write_file"]);
    expect(textOf(await write(g.client, "granted.txt"))).not.toMatch(/Denied|Refused/);
    expect(existsSync(`${dir}/public/out/granted.txt`)).toBe(true);
    expect(await v.names()).toEqual([]);
  }, 60_000);

  it("an oversized message is a protocol error (413, JSON-RPC), not a crash; the session keeps serving", async () => {
    const { url } = await startGateway(600_000);
    const { leaseToken } = await seedLease(db(), { grants: readAndWrite() });
    const s = await connect(url, leaseToken);
    const sessionId = (s.client.transport as StreamableHTTPClientTransport).sessionId!;
    const headers = { authorization: `Bearer ${leaseToken}`, "mcp-session-id": sessionId, "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18" };
    const huge = JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "write_file", arguments: { path: `${dir}/public/out/huge.txt`, content: "x".repeat(5 * 1024 * 1024) } } });
    const res = await fetch(url, { method: "POST", headers, body: huge });
    expect(res.status).toBe(413);
    expect((await res.json()) as unknown).toMatchObject({ jsonrpc: "2.0", error: { code: expect.any(Number), message: expect.stringMatching(/too large|size/i) } });
    expect(existsSync(`${dir}/public/out/huge.txt`)).toBe(false);
    expect(textOf(await read(s.client))).toBe("hello from the granted folder");
  }, 60_000);

  it("a held call that a person denies comes back as an error result naming the approver's reason; nothing is forwarded", async () => {
    const { url } = await startGateway(600_000);
    const { lease, leaseToken } = await seedLease(db(), { grants: readAndWrite(), requireApproval: ["repo.commit"] });
    const s = await connect(url, leaseToken);
    const call = write(s.client, "refused-by-a-person.txt");
    let esc: { id: string } | null = null;
    await expect.poll(async () => (esc = await db().escalation.findFirst({ where: { leaseId: lease.id, status: "pending" } })), { timeout: 15_000 }).toBeTruthy();
    await castVote(db(), await seedPerson(db(), { role: "approver" }), esc!.id, "deny", "not during the release freeze");
    const r = await call;
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/denied.*not during the release freeze/);
    expect(existsSync(`${dir}/public/out/refused-by-a-person.txt`)).toBe(false);
  }, 60_000);

  it("fails closed when Lanyard answers 5xx or is slow past the bound: the call is refused, nothing is forwarded, the gateway keeps serving", async () => {
    // Lanyard behind a pass-through that, while `mode` says so, answers decisions with a 503 or not at all.
    let mode: "pass" | "5xx" | "slow" = "pass";
    const target = new URL(lanyard.url);
    const fault = http.createServer((req, res) => {
      if (req.url === "/api/v1/decisions" && mode === "5xx") return void res.writeHead(503, { "content-type": "application/json" }).end('{"error":{"code":"unavailable","message":"store down"}}');
      if (req.url === "/api/v1/decisions" && mode === "slow") return; // never answers
      const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on("error", () => res.destroy());
      req.pipe(up);
    });
    faults.push(fault);
    await new Promise<void>((r) => fault.listen(0, "127.0.0.1", r));
    const { url } = await startGateway(600_000, { url: `http://127.0.0.1:${(fault.address() as AddressInfo).port}`, timeoutMs: 1_500 });
    const { leaseToken } = await seedLease(db(), { grants: readAndWrite() });
    const s = await connect(url, leaseToken);
    for (const m of ["5xx", "slow"] as const) {
      mode = m;
      const r = await write(s.client, `lanyard-${m}.txt`);
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(m === "5xx" ? /answered 503.*fail closed/ : /did not answer within 1500 ms.*fail closed/);
      expect(existsSync(`${dir}/public/out/lanyard-${m}.txt`)).toBe(false);
    }
    mode = "pass";
    expect(textOf(await read(s.client))).toBe("hello from the granted folder");
  }, 60_000);
});
