// npm run bench:decisions — POST /api/v1/decisions under load (autocannon, 50 connections) against the built
// app on an embedded PostgreSQL, next to a bare Node http server answering a JSON of the same size as the
// baseline, measured in the same run; then decisions again with the audit sealer running beside them.
// Prints requests/s, p50/p99 and the ratio decisions/baseline.
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import path from "node:path";
import autocannon from "autocannon";
import pg from "pg";
import { openDatabase, projectRoot, recreateDatabase } from "../lib/embedded-db";
import { migrate } from "../lib/migrate";

const DURATION = Number(process.env.BENCH_SECONDS ?? 15);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const APP_PORT = 3300;
const BASE_PORT = 3301;
const dataDir = path.join(projectRoot, ".data", "bench");

const database = await openDatabase({ dataDir, port: 25435, database: "lanyard_bench" });
// Every run starts from an empty database: leases and decisions left by earlier runs would expire and
// want receipts during this one, and runs would not be comparable.
// (Only its own embedded server: a DATABASE_URL from the shell is never dropped.)
if (database.embedded) await recreateDatabase(database.url, "lanyard_bench");
migrate(database.url);
process.env.DATABASE_URL = database.url;
process.env.NEXTAUTH_SECRET ??= "bench-secret-bench-secret-bench-secret-0123";
process.env.LANYARD_KEY_ENCRYPTION_KEY ??= Buffer.from("bench-key-encryption-key-0123456").toString("base64"); // 32 bytes
process.env.LANYARD_SWEEPER = "0";
// Large budgets so that the benchmark measures deciding, not exhaustion.
process.env.LANYARD_MAX_TOOL_CALLS = "100000000";
// The benchmark measures decisions, not the per-key rate limit: one key carries all its load.
process.env.LANYARD_EP_RATE_LIMIT ??= "1000000";

// Fixtures through the product's own lib/ (the same code the API runs).
const { db } = await import("@/lib/db");
const { seedAgent, seedEnforcementPoint, seedLease } = await import("@/test/factories");
const agent = await seedAgent(db(), { ceilingMaxToolCalls: 10_000_000, ceilingMaxExpiresIn: 3600 });
const { key } = await seedEnforcementPoint(db(), ["decisions:write"]);
const spread: string[] = [];
for (let i = 0; i < 200; i++) spread.push((await seedLease(db(), { agentId: agent.id, maxToolCalls: 1_000_000, expiresIn: 3600 })).leaseToken);
const hot = (await seedLease(db(), { agentId: agent.id, maxToolCalls: 10_000_000, expiresIn: 3600 })).leaseToken;
await db().$disconnect();

const children: ChildProcess[] = [];
const stop = async () => {
  // The app first (it closes its connections), then the database under it.
  await Promise.all(children.filter((c) => c.exitCode === null && c.signalCode === null).map((c) => new Promise<void>((r) => {
    const timer = setTimeout(r, 10_000);
    c.once("exit", () => (clearTimeout(timer), r()));
    c.kill("SIGTERM");
  })));
  await database.stop().catch(() => {});
};
process.on("SIGINT", () => void stop().then(() => process.exit(130)));

try {
  // The app, with its background jobs (audit sealer, expiry sweeper) off or on.
  const startApp = async (sweeper: "0" | "1") => {
    const app = spawn(process.execPath, ["--import", "tsx", path.join(projectRoot, "scripts/start.ts")], {
      cwd: projectRoot,
      env: { ...process.env, PORT: String(APP_PORT), LANYARD_DATA_DIR: dataDir, LANYARD_SEED_DEMO: "0", LANYARD_DB_POOL_SIZE: "20", LANYARD_SWEEPER: sweeper },
      stdio: ["ignore", "inherit", "inherit"],
    });
    children.push(app);
    await waitFor(`http://127.0.0.1:${APP_PORT}/api/health`, 600_000);
    return app;
  };
  const app = await startApp("0");

  const body = (token: string) => JSON.stringify({ leaseToken: token, tool: "repo.read" });
  const sample = await post(`http://127.0.0.1:${APP_PORT}/api/v1/decisions`, body(hot), key);
  if (sample.status !== 200 || JSON.parse(sample.text).decision !== "allow") throw new Error(`warm-up decision failed: ${sample.status} ${sample.text}`);

  const baseline = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(sample.text));
  });
  await new Promise<void>((r) => baseline.listen(BASE_PORT, "127.0.0.1", r));

  const load = (url: string, tokens: string[]) => {
    let i = 0;
    return autocannon({
      url,
      connections: CONNECTIONS,
      duration: DURATION,
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      requests: [{ setupRequest: (r: autocannon.Request) => ({ ...r, body: body(tokens[i++ % tokens.length]!) }) }],
    });
  };
  // Warm the JIT and the pools before measuring.
  const warm = () => autocannon({ url: `http://127.0.0.1:${APP_PORT}/api/v1/decisions`, connections: 10, duration: 3, method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: body(spread[0]!) });
  await warm();

  const results = {
    baseline: await load(`http://127.0.0.1:${BASE_PORT}/`, [hot]),
    "decisions, 200 leases": await load(`http://127.0.0.1:${APP_PORT}/api/v1/decisions`, spread),
    "decisions, one hot lease": await load(`http://127.0.0.1:${APP_PORT}/api/v1/decisions`, [hot]),
  } as Record<string, autocannon.Result>;
  baseline.close();
  // Again with the audit sealer running beside the decisions, as in production (it starts with the
  // backlog the runs above left unsealed): sealing must not slow deciding down.
  await new Promise<void>((r) => {
    app.once("exit", () => r());
    app.kill("SIGTERM");
  });
  await startApp("1");
  await warm();
  results["decisions, 200 leases, sealer on"] = await load(`http://127.0.0.1:${APP_PORT}/api/v1/decisions`, spread);
  const [{ lag }] = (await sealLag()) as [{ lag: string }];

  const base = results.baseline!.requests.average;
  process.stdout.write(`\nPOST /api/v1/decisions, ${CONNECTIONS} connections, ${DURATION} s each, ${process.env.BENCH_LABEL ?? "this machine"}\n`);
  process.stdout.write(`${"scenario".padEnd(34)}${"req/s".padStart(10)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}${"errors".padStart(8)}${"non-2xx".padStart(9)}${"ratio".padStart(8)}\n`);
  for (const [name, r] of Object.entries(results)) {
    process.stdout.write(
      `${name.padEnd(34)}${r.requests.average.toFixed(0).padStart(10)}${String(r.latency.p50).padStart(9)}${String(r.latency.p99).padStart(9)}${String(r.errors + r.timeouts).padStart(8)}${String(r.non2xx).padStart(9)}${(r.requests.average / base).toFixed(3).padStart(8)}\n`,
    );
  }
  process.stdout.write("target: p99 <= 15 ms at 50 connections; ratio = decisions req/s / bare-http req/s\n");
  process.stdout.write(`audit events not yet sealed right after the sealer-on run: ${lag}\n`);
} finally {
  await stop();
}

/** How far the sealer is behind: committed audit events above the last sealed seq. */
async function sealLag() {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query(`SELECT count(*)::text AS lag FROM "audit_events" WHERE "seq" > (SELECT "lastSeq" FROM "audit_seal_state" WHERE "id" = 1)`)).rows;
  } finally {
    await client.end();
  }
}

async function waitFor(url: string, ms: number) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not come up`);
}

async function post(url: string, body: string, key: string) {
  const r = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json", authorization: `Bearer ${key}` } });
  return { status: r.status, text: await r.text() };
}
