// npm run bench:gateway — allowed tools/call through the MCP gateway vs the same client calling the
// upstream directly, in one run: N concurrent MCP sessions (default 16, BENCH_SESSIONS), each calling
// one tool in a closed loop for BENCH_SECONDS (default 10) after a warm-up. The upstream is the MCP
// conformance reference server (Streamable HTTP, test_simple_text); through the gateway every call is
// first a decision of Lanyard (its API in its own process, on an embedded PostgreSQL of its own). The
// CPU each process spent per call says what bounds the throughput.
import { readdirSync, readFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import pg from "pg";
import { startGatewayStack } from "../lib/gateway-stack";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 16);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const TOOL = "test_simple_text";

const stack = await startGatewayStack({ name: "bench-gateway", pgPort: Number(process.env.LANYARD_BENCH_PG_PORT ?? 25441), maxToolCalls: 50_000_000 });
try {
  const postmaster = await postmasterPid(stack.databaseUrl);
  const procs = { gateway: stack.gatewayPid, lanyard: stack.lanyardPid, upstream: stack.fixturePid, bench: process.pid };
  const cpu = () => ({ ...Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, cpuMs(pid)])), postgres: dbCpuMs(postmaster) }) as Record<string, number>;

  const open = async (url: string, headers: Record<string, string>, sessions: number) =>
    Promise.all(
      Array.from({ length: sessions }, async () => {
        const c = new Client({ name: "bench", version: "1.0.0" });
        await c.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
        return c;
      }),
    );
  const loop = async (clients: Client[], seconds: number) => {
    const latencies: number[] = [];
    let errors = 0;
    const end = performance.now() + seconds * 1000;
    await Promise.all(
      clients.map(async (c) => {
        while (performance.now() < end) {
          const t = performance.now();
          const r = await c.callTool({ name: TOOL, arguments: {} });
          latencies.push(performance.now() - t);
          if (r.isError) errors++;
        }
      }),
    );
    return { latencies, errors };
  };
  const measure = async (name: string, url: string, headers: Record<string, string>, sessions = SESSIONS) => {
    const clients = await open(url, headers, sessions);
    await loop(clients, WARMUP_SECONDS);
    const before = cpu();
    const started = performance.now();
    const { latencies, errors } = await loop(clients, SECONDS);
    const elapsed = (performance.now() - started) / 1000;
    const after = cpu();
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    latencies.sort((a, b) => a - b);
    const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
    const cpuPerCall = Object.fromEntries(Object.keys(after).map((k) => [k, (after[k]! - before[k]!) / latencies.length]));
    return { name, calls: latencies.length, errors, rate: latencies.length / elapsed, p50: q(0.5), p99: q(0.99), cpuPerCall };
  };

  // Direct first, then through the gateway: the same clients' code, the same upstream, the same run.
  // One session first (the overhead of one call, no queueing), then the concurrent sessions.
  const bearer = { authorization: `Bearer ${stack.leaseToken}` };
  const direct1 = await measure("direct, 1 session", stack.fixtureUrl, {}, 1);
  const gateway1 = await measure("gateway, 1 session", stack.gatewayUrl, bearer, 1);
  const direct = await measure(`direct, ${SESSIONS} sessions`, stack.fixtureUrl, {});
  const gateway = await measure(`gateway, ${SESSIONS} sessions`, stack.gatewayUrl, bearer);

  const rows = [direct1, gateway1, direct, gateway];
  const out: string[] = [];
  out.push(`\nallowed tools/call (${TOOL}), 1 and ${SESSIONS} concurrent MCP sessions, ${SECONDS} s each after ${WARMUP_SECONDS} s warm-up\n`);
  out.push(`${"path".padEnd(22)} ${"calls".padStart(7)} ${"errors".padStart(6)} ${"calls/s".padStart(8)} ${"p50 ms".padStart(7)} ${"p99 ms".padStart(7)}   CPU ms per call: ${Object.keys(direct.cpuPerCall).join(" / ")}`);
  for (const r of rows)
    out.push(`${r.name.padEnd(22)} ${String(r.calls).padStart(7)} ${String(r.errors).padStart(6)} ${r.rate.toFixed(0).padStart(8)} ${r.p50.toFixed(2).padStart(7)} ${r.p99.toFixed(2).padStart(7)}   ${Object.values(r.cpuPerCall).map((v) => v.toFixed(2)).join(" / ")}`);
  out.push("");
  out.push(`1 session: p50 overhead ${(gateway1.p50 - direct1.p50).toFixed(2)} ms, p99 overhead ${(gateway1.p99 - direct1.p99).toFixed(2)} ms`);
  out.push(`${SESSIONS} sessions: throughput ratio (gateway / direct): ${(gateway.rate / direct.rate).toFixed(2)}   (target >= 0.5)`);
  out.push(`${SESSIONS} sessions: p50 overhead: ${(gateway.p50 - direct.p50).toFixed(2)} ms (target <= 3 ms)   p99 overhead: ${(gateway.p99 - direct.p99).toFixed(2)} ms   p50 ratio: ${(gateway.p50 / direct.p50).toFixed(2)}`);
  const g = gateway.cpuPerCall;
  const spent = Object.entries(g).sort((a, b) => b[1] - a[1]);
  out.push(`CPU per call through the gateway, by process: ${spent.map(([k, v]) => `${k} ${v.toFixed(2)} ms`).join(", ")}; total ${spent.reduce((s, [, v]) => s + v, 0).toFixed(2)} ms on ${(await import("node:os")).cpus().length} cores`);
  process.stdout.write(`${out.join("\n")}\n`);
} finally {
  await stack.stop();
}
process.exit(0);

/** The PostgreSQL server's main process: the parent of one of its backends. */
async function postmasterPid(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    return Number(readFileSync(`/proc/${rows[0]!.pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
  } finally {
    await client.end();
  }
}
function dbCpuMs(postmaster: number): number {
  let total = cpuMs(postmaster);
  for (const dir of readdirSync("/proc")) {
    if (!/^\d+$/.test(dir)) continue;
    try {
      const fields = readFileSync(`/proc/${dir}/stat`, "utf8").split(") ")[1]!.split(" ");
      if (Number(fields[1]) === postmaster) total += ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}
