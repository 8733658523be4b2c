// npm run conformance:gateway — the MCP conformance suite (@modelcontextprotocol/conformance 0.1.16,
// server scenarios) twice in one run: against the reference server directly, then against the gateway
// (as `npm run gateway` runs it) fronting that server with a lease that grants its tools and maps its
// resources and prompts. The suite sends no headers, so a pass-through adds the lease token, as an
// agent's client configuration would. Exits 1 unless every check passes through the gateway.
import { startGatewayStack } from "./lib/gateway-stack";

const { runConformanceSuite, startBearerProxy } = await import("@/test/gateway-conformance");
const stack = await startGatewayStack({ name: "conformance", pgPort: Number(process.env.LANYARD_CONFORMANCE_PG_PORT ?? 25439) });
let failed = true;
try {
  const verbose = process.argv.includes("--verbose");
  const direct = await runConformanceSuite(stack.fixtureUrl.replace("127.0.0.1", "localhost"));
  const proxy = await startBearerProxy(new URL(stack.gatewayUrl), stack.leaseToken);
  const started = Date.now();
  const through = await runConformanceSuite(proxy.url, { onOutput: verbose ? (s) => process.stdout.write(s) : undefined });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  await proxy.close();

  const byName = new Map(direct.scenarios.map((s) => [s.name, s]));
  process.stdout.write(`\n${"scenario".padEnd(32)} ${"direct".padStart(9)} ${"gateway".padStart(9)}\n`);
  for (const s of through.scenarios) {
    const d = byName.get(s.name);
    process.stdout.write(`${s.name.padEnd(32)} ${(d ? `${d.passed}/${d.passed + d.failed}` : "-").padStart(9)} ${`${s.passed}/${s.passed + s.failed}`.padStart(9)}${s.failed ? "  FAILED" : ""}\n`);
  }
  process.stdout.write(`\nreference server directly: ${direct.passed} passed, ${direct.failed} failed\n`);
  process.stdout.write(`through the Lanyard gateway: ${through.passed} passed, ${through.failed} failed (${seconds} s)\n`);
  if (through.failed) process.stdout.write(`\n${through.output}\n`);
  failed = through.failed > 0 || through.passed === 0;
} finally {
  await stack.stop();
}
process.exit(failed ? 1 : 0);
