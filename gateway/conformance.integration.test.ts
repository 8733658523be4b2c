// The MCP conformance suite (@modelcontextprotocol/conformance 0.1.16, server scenarios: 40 checks)
// against the gateway fronting the suite's own reference server, with a lease that grants its tools and
// maps its resources and prompts: every check must pass through the gateway as it does directly.
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { db } from "@/lib/db";
import { runConformanceSuite, seedConformanceSetup, startBearerProxy } from "@/test/gateway-conformance";
import { startLanyardApi } from "@/test/lanyard-api-server";
import { startConformanceFixture } from "@/test/mcp-fixture";
import { Gateway } from "./gateway";
import { createGatewayHttpServer } from "./http";
import { createLanyardClient } from "./sdk";

let fixture: Awaited<ReturnType<typeof startConformanceFixture>>;
let lanyard: Awaited<ReturnType<typeof startLanyardApi>>;
let gateway: Gateway;
let front: ReturnType<typeof createGatewayHttpServer>;
let proxy: Awaited<ReturnType<typeof startBearerProxy>>;
let leaseId: string;

beforeAll(async () => {
  fixture = await startConformanceFixture();
  const setup = await seedConformanceSetup(db(), fixture.url);
  leaseId = setup.leaseId;
  lanyard = await startLanyardApi();
  gateway = new Gateway({ lanyard: createLanyardClient({ url: lanyard.url, key: setup.gatewayKey, timeoutMs: 20_000 }), leaseRefreshMs: 60_000, log: () => {} });
  await gateway.start();
  front = createGatewayHttpServer(gateway);
  await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
  proxy = await startBearerProxy(new URL(`http://127.0.0.1:${(front.address() as AddressInfo).port}/mcp`), setup.leaseToken);
}, 120_000);

afterAll(async () => {
  await proxy?.close();
  front?.closeAllConnections();
  await new Promise<void>((r) => (front ? front.close(() => r()) : r()));
  await gateway?.close();
  await lanyard?.stop();
  await fixture?.stop();
});

it("passes every check of the MCP conformance suite through the gateway", async () => {
  const started = Date.now();
  const r = await runConformanceSuite(proxy.url, { timeoutMs: 240_000 });
  const failing = r.scenarios.filter((s) => s.failed > 0);
  console.log(`MCP conformance through the gateway: ${r.passed} passed, ${r.failed} failed (${r.scenarios.length} scenarios, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  expect(failing, r.output).toEqual([]);
  expect(r.failed).toBe(0);
  expect(r.passed).toBe(40);
  // The calls were decided: tools/call as ci.test.read, resources/read as repo.read, prompts/get as
  // contracts.read, each a decision of the lease, all allowed.
  const decisions = await db().decision.findMany({ where: { leaseId }, select: { tool: true, outcome: true } });
  expect(new Set(decisions.map((d) => `${d.tool} ${d.outcome}`))).toEqual(new Set(["ci.test.read allow", "repo.read allow", "contracts.read allow"]));
}, 300_000);
