// The MCP conformance suite (@modelcontextprotocol/conformance, server scenarios) against the gateway
// fronting the suite's reference server: used by `npm run conformance:gateway` and its integration test.
import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createConnection } from "@/lib/connections/connections";
import { ConnectionCreate } from "@/lib/connections/schemas";
import type { Db } from "@/lib/db";
import { seedCatalog } from "@/prisma/seed";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";

const root = path.resolve(import.meta.dirname, "..");

/**
 * A gateway key whose one connection is the reference server, every tool it lists mapped (as
 * ci.test.read), its resources as repo.read and its prompts as contracts.read, and a lease granting all three.
 */
export async function seedConformanceSetup(db: Db, fixtureUrl: string, o: { maxToolCalls?: number } = {}) {
  await seedCatalog(db);
  const probe = new Client({ name: "lanyard-conformance-setup", version: "1.0.0" });
  await probe.connect(new StreamableHTTPClientTransport(new URL(fixtureUrl)));
  const tools = (await probe.listTools()).tools.map((t) => t.name);
  await probe.close();

  const admin = await seedPerson(db, { role: "admin" });
  const ep = await seedEnforcementPoint(db, ["decisions:write", "escalations:write", "connections:read"]);
  await createConnection(
    db,
    admin,
    ConnectionCreate.parse({
      name: `conformance-${Math.random().toString(36).slice(2, 8)}`,
      transport: { type: "http", url: fixtureUrl },
      tools: tools.map((upstream) => ({ upstream, tool: "ci.test.read" })),
      resources: { tool: "repo.read" },
      prompts: { tool: "contracts.read" },
      enforcementPointIds: [ep.actor.id],
    }),
  );
  const maxToolCalls = o.maxToolCalls ?? 10_000;
  const agent = await seedAgent(db, { ceilingMaxToolCalls: Math.max(100_000, maxToolCalls) });
  const { leaseToken, lease } = await seedLease(db, {
    agentId: agent.id,
    grants: [{ tool: "ci.test.read" }, { tool: "repo.read" }, { tool: "contracts.read" }],
    requireApproval: [],
    maxToolCalls,
  });
  return { gatewayKey: ep.key, leaseToken, leaseId: lease.id, tools };
}

/**
 * The suite cannot send headers, and the gateway serves no one without a lease token: this pass-through
 * adds `Authorization: Bearer <lease token>` to every request, as an agent's client configuration does,
 * and changes nothing else (Host and Origin go through as sent, so the suite's DNS-rebinding checks
 * reach the gateway's own).
 */
export async function startBearerProxy(target: URL, leaseToken: string) {
  const server = http.createServer((req, res) => {
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, authorization: `Bearer ${leaseToken}` } },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    // An SSE stream the client drops is dropped upstream too.
    res.on("close", () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    // localhost: the suite's DNS-rebinding scenario requires a localhost URL.
    url: `http://localhost:${(server.address() as AddressInfo).port}${target.pathname}`,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

export type SuiteResult = { passed: number; failed: number; output: string; scenarios: { name: string; passed: number; failed: number }[] };

/** Runs the suite's server scenarios against `url` (on Node 20 through scripts/conformance/register.mjs). */
export function runConformanceSuite(url: string, o: { timeoutMs?: number; onOutput?: (s: string) => void } = {}): Promise<SuiteResult> {
  const bin = path.join(root, "node_modules/@modelcontextprotocol/conformance/dist/index.js");
  const child = spawn(process.execPath, ["--import", path.join(root, "scripts/conformance/register.mjs"), bin, "server", "--url", url], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const take = (b: Buffer) => {
    output += b.toString();
    o.onOutput?.(b.toString());
  };
  child.stdout.on("data", take);
  child.stderr.on("data", take);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the conformance suite did not finish in ${o.timeoutMs} ms:\n${output}`));
    }, o.timeoutMs ?? 300_000);
    child.once("exit", () => {
      clearTimeout(timer);
      const total = /Total: (\d+) passed, (\d+) failed/.exec(output);
      if (!total) return reject(new Error(`the conformance suite printed no total:\n${output}`));
      const scenarios = [...output.matchAll(/^[✓✗]\s+(\S+): (\d+) passed, (\d+) failed/gmu)].map((m) => ({ name: m[1]!, passed: Number(m[2]), failed: Number(m[3]) }));
      resolve({ passed: Number(total[1]), failed: Number(total[2]), output, scenarios });
    });
  });
}
