// The rest of MCP through the gateway, with real parts: the SDK's client → the gateway (Streamable HTTP)
// → the MCP conformance reference server (Streamable HTTP, its own process) and a small SDK server in
// this process (to watch cancellation arrive), the gateway asking a real Lanyard.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CreateMessageRequestSchema, ElicitRequestSchema, LoggingMessageNotificationSchema, type CallToolResult, type ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnection } from "@/lib/connections/connections";
import { ConnectionCreate } from "@/lib/connections/schemas";
import { db } from "@/lib/db";
import { seedCatalog } from "@/prisma/seed";
import { seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";
import { startLanyardApi } from "@/test/lanyard-api-server";
import { startConformanceFixture } from "@/test/mcp-fixture";
import { Gateway } from "./gateway";
import { createGatewayHttpServer } from "./http";
import { createLanyardClient } from "./sdk";

let fixture: Awaited<ReturnType<typeof startConformanceFixture>>;
let lanyard: Awaited<ReturnType<typeof startLanyardApi>>;
let gateway: Gateway;
let front: ReturnType<typeof createGatewayHttpServer>;
let mcpUrl: URL;
const clients: Client[] = [];

// The in-process upstream: a tool that waits until it is cancelled, and a resource no connection maps.
const slow = { started: 0, aborted: 0, resourceReads: 0 };
let slowServer: http.Server;
async function startSlowUpstream(): Promise<string> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  slowServer = http.createServer(async (req, res) => {
    const sid = req.headers["mcp-session-id"];
    let t = typeof sid === "string" ? transports.get(sid) : undefined;
    if (!t) {
      const mcp = new McpServer({ name: "slow", version: "1.0.0" });
      mcp.registerTool("wait_for_cancel", { description: "waits until cancelled" }, async (extra) => {
        slow.started++;
        await new Promise<void>((resolve) => extra.signal.addEventListener("abort", () => resolve(), { once: true }));
        slow.aborted++;
        return { content: [{ type: "text", text: "cancelled" }] };
      });
      mcp.registerResource("unmapped", "slow://unmapped", {}, async (uri) => {
        slow.resourceReads++;
        return { contents: [{ uri: uri.href, text: "should never be read through the gateway" }] };
      });
      const nt: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => void transports.set(id, nt) });
      await mcp.connect(nt);
      t = nt;
    }
    await t.handleRequest(req, res);
  });
  await new Promise<void>((r) => slowServer.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(slowServer.address() as AddressInfo).port}/mcp`;
}

async function connect(token: string, capabilities: ClientCapabilities = {}): Promise<Client> {
  const client = new Client({ name: "test-agent", version: "1.0.0" }, { capabilities });
  await client.connect(new StreamableHTTPClientTransport(mcpUrl, { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  clients.push(client);
  return client;
}
const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("");
async function until<T>(what: string, f: () => T | Promise<T>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Everything the fixture offers: its tools as ci.test.read, resources as repo.read (two URIs), prompts as contracts.read. */
const fullLease = () =>
  seedLease(db(), {
    grants: [{ tool: "ci.test.read" }, { tool: "repo.read", resource: { type: "uri", ids: ["test://static-text", "test://template/*"] } }, { tool: "contracts.read" }],
    requireApproval: [],
  });

beforeAll(async () => {
  await seedCatalog(db());
  [fixture] = await Promise.all([startConformanceFixture()]);
  const slowUrl = await startSlowUpstream();
  const admin = await seedPerson(db(), { role: "admin" });
  const ep = await seedEnforcementPoint(db(), ["decisions:write", "escalations:write", "connections:read"]);
  const suffix = Math.random().toString(36).slice(2, 8);
  await createConnection(
    db(),
    admin,
    ConnectionCreate.parse({
      name: `everything-${suffix}`,
      transport: { type: "http", url: fixture.url },
      tools: ["test_simple_text", "test_tool_with_logging", "test_tool_with_progress", "test_sampling", "test_elicitation"].map((upstream) => ({ upstream, tool: "ci.test.read" })),
      resources: { tool: "repo.read" },
      prompts: { tool: "contracts.read" },
      enforcementPointIds: [ep.actor.id],
    }),
  );
  // No resources/prompts mapping: its resource is neither listed nor read.
  await createConnection(db(), admin, ConnectionCreate.parse({ name: `slow-${suffix}`, transport: { type: "http", url: slowUrl }, tools: [{ upstream: "wait_for_cancel", tool: "ci.test.read" }], enforcementPointIds: [ep.actor.id] }));

  lanyard = await startLanyardApi();
  gateway = new Gateway({ lanyard: createLanyardClient({ url: lanyard.url, key: ep.key, timeoutMs: 10_000 }), escalationPollSeconds: 1, leaseRefreshMs: 60_000, log: () => {} });
  await gateway.start();
  front = createGatewayHttpServer(gateway);
  await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
  mcpUrl = new URL(`http://127.0.0.1:${(front.address() as AddressInfo).port}/mcp`);
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  front?.closeAllConnections();
  await new Promise<void>((r) => (front ? front.close(() => r()) : r()));
  await gateway?.close();
  slowServer?.closeAllConnections();
  await new Promise<void>((r) => (slowServer ? slowServer.close(() => r()) : r()));
  await lanyard?.stop();
  await fixture?.stop();
});

describe("MCP passthrough through the gateway", () => {
  it("lists resources of the mapped connection only, and decides each read on its URI", async () => {
    const { lease, leaseToken } = await fullLease();
    const client = await connect(leaseToken);
    const uris = (await client.listResources()).resources.map((r) => r.uri);
    expect(uris).toContain("test://static-text");
    expect(uris).not.toContain("slow://unmapped");
    expect((await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)).toContain("test://template/{id}/data");

    const text = await client.readResource({ uri: "test://static-text" });
    expect(text.contents[0]).toMatchObject({ uri: "test://static-text" });
    expect((text.contents[0] as { text: string }).text.length).toBeGreaterThan(0);
    const templated = await client.readResource({ uri: "test://template/42/data" });
    expect(JSON.stringify(templated.contents)).toContain("42");
    // Outside the granted URIs: refused by Lanyard, naming the rule.
    await expect(client.readResource({ uri: "test://static-binary" })).rejects.toThrow(/Denied by Lanyard: resource_out_of_scope/);
    // A resource of a connection that maps none: never read (decided as the mapped tool and refused).
    await expect(client.readResource({ uri: "slow://unmapped" })).rejects.toThrow();
    expect(slow.resourceReads).toBe(0);

    const decisions = await db().decision.findMany({ where: { leaseId: lease.id }, orderBy: { createdAt: "asc" } });
    expect(decisions.map((d) => [d.tool, (d.resource as { id: string }).id, d.outcome])).toEqual([
      ["repo.read", "test://static-text", "allow"],
      ["repo.read", "test://template/42/data", "allow"],
      ["repo.read", "test://static-binary", "deny"],
      ["repo.read", "slow://unmapped", "deny"],
    ]);
    await expect(client.subscribeResource({ uri: "test://watched-resource" })).resolves.toEqual({});
  });

  it("lists prompts, decides each get as the mapped tool, and passes completion through", async () => {
    const { lease, leaseToken } = await fullLease();
    const client = await connect(leaseToken);
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toContain("test_prompt_with_arguments");
    const p = await client.getPrompt({ name: "test_prompt_with_arguments", arguments: { arg1: "alpha", arg2: "beta" } });
    expect(JSON.stringify(p.messages)).toContain("alpha");
    const c = await client.complete({ ref: { type: "ref/prompt", name: "test_prompt_with_arguments" }, argument: { name: "arg1", value: "par" } });
    expect(Array.isArray(c.completion.values)).toBe(true);
    const decisions = await db().decision.findMany({ where: { leaseId: lease.id } });
    expect(decisions.map((d) => [d.tool, (d.resource as { type: string; id: string }).type, (d.resource as { id: string }).id, d.outcome])).toEqual([["contracts.read", "prompt", "test_prompt_with_arguments", "allow"]]);
  });

  it("a lease that cannot use the mapped tools sees no resources or prompts and reaches none", async () => {
    const { lease, leaseToken } = await seedLease(db(), { grants: [{ tool: "ci.test.read" }], requireApproval: [] });
    const client = await connect(leaseToken);
    expect((await client.listResources()).resources).toEqual([]);
    expect((await client.listPrompts()).prompts).toEqual([]);
    await expect(client.readResource({ uri: "test://static-text" })).rejects.toThrow(/Resource not found/);
    await expect(client.getPrompt({ name: "test_simple_prompt" })).rejects.toThrow(/Prompt not found/);
    await expect(client.complete({ ref: { type: "ref/prompt", name: "test_prompt_with_arguments" }, argument: { name: "arg1", value: "x" } })).rejects.toThrow(/Prompt not found/);
    expect(await db().decision.count({ where: { leaseId: lease.id } })).toBe(0);
  });

  it("relays logging (at the agent's level) and progress of an allowed call; ping answers", async () => {
    const client = await connect((await fullLease()).leaseToken);
    const logs: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(JSON.stringify(n.params.data)));
    await client.setLoggingLevel("debug");
    const r = (await client.callTool({ name: "test_tool_with_logging", arguments: {} })) as CallToolResult;
    expect(r.isError).toBeFalsy();
    await until("3 log messages", () => logs.length >= 3);
    const progress: number[] = [];
    await client.callTool({ name: "test_tool_with_progress", arguments: {} }, undefined, { onprogress: (p) => void progress.push(p.progress) });
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    await expect(client.ping()).resolves.toEqual({});
  });

  it("relays sampling and elicitation to the session whose call asked, and to no other", async () => {
    const { leaseToken } = await fullLease();
    // (The fixture's test_sampling validates the sampling answer with a schema no answer meets, so its
    // text reports an error: what the agents were asked is what shows the routing.)
    const asked: Record<string, string[]> = { A: [], B: [] };
    const agents = await Promise.all(["A", "B"].map(async (who) => {
      const c = await connect(leaseToken, { sampling: {}, elicitation: {} });
      c.setRequestHandler(CreateMessageRequestSchema, async (req) => {
        asked[who]!.push(JSON.stringify(req.params.messages));
        return { role: "assistant", content: { type: "text", text: `answer from ${who}` }, model: "test", stopReason: "endTurn" };
      });
      c.setRequestHandler(ElicitRequestSchema, async (req) => {
        asked[who]!.push(req.params.message);
        return { action: "accept", content: { response: `yes from ${who}` } };
      });
      return c;
    }));
    const results = await Promise.all(
      agents.flatMap((c, i) => [c.callTool({ name: "test_sampling", arguments: { prompt: `prompt of ${"AB"[i]}` } }), c.callTool({ name: "test_elicitation", arguments: { message: `question for ${"AB"[i]}` } })]),
    );
    expect(asked.A!.sort()).toEqual([expect.stringContaining("prompt of A"), "question for A"].sort());
    expect(asked.B!.sort()).toEqual([expect.stringContaining("prompt of B"), "question for B"].sort());
    expect(textOf(results[1] as CallToolResult)).toContain("yes from A");
    expect(textOf(results[3] as CallToolResult)).toContain("yes from B");
    // An agent that offers neither is never asked: the upstream learns the client cannot.
    const plain = await connect(leaseToken);
    const r = (await plain.callTool({ name: "test_elicitation", arguments: { message: "anyone?" } })) as CallToolResult;
    expect(textOf(r)).toMatch(/not supported|error/i);
    expect([...asked.A!, ...asked.B!].join()).not.toContain("anyone?");
  });

  it("cancels the upstream request when the agent cancels its call", async () => {
    const client = await connect((await fullLease()).leaseToken);
    const before = { ...slow };
    const ac = new AbortController();
    const call = client.callTool({ name: "wait_for_cancel", arguments: {} }, undefined, { signal: ac.signal });
    call.catch(() => {});
    await until("the upstream call to start", () => slow.started > before.started);
    ac.abort("the agent gave up");
    await expect(call).rejects.toThrow();
    await until("the upstream to see the cancellation", () => slow.aborted > before.aborted);
  });
});
