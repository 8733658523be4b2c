// npm run bench:decisions — one table from one run (issue 11): (1) bare Node http answering the same JSON;
// (2) bare Node http + pg, one INSERT of an audit-sized row per request (the durability floor);
// (3) decisions, allow, over 200 leases with the audit sealer running, 50 connections; (4) one hot lease;
// (5) one connection, sequential; (6) a burst of 1,000 concurrent calls on one lease with a budget of 25.
// The app runs as npm start runs it; CPU per decision is its process's CPU time / requests answered.
// On an embedded PostgreSQL by default; with DATABASE_URL, on that server (its database is not dropped).
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
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
const INSERT_PORT = 3302;
const BURST = Number(process.env.BENCH_BURST ?? 1000);
const dataDir = path.join(projectRoot, ".data", "bench");

// BENCH_PG_STATS=1 (embedded PostgreSQL): after each scenario, its top statements from pg_stat_statements.
const PG_STATS = process.env.BENCH_PG_STATS === "1";
const database = await openDatabase({
  dataDir,
  port: 25435,
  database: "lanyard_bench",
  settings: PG_STATS ? { shared_preload_libraries: "pg_stat_statements", "pg_stat_statements.track": "all", "pg_stat_statements.track_planning": "on", track_io_timing: "on" } : {},
});
// Every run starts from an empty database: leases and decisions left by earlier runs would expire and
// want receipts during this one, and runs would not be comparable.
// (Only its own embedded server: a DATABASE_URL from the shell is never dropped.)
if (database.embedded) await recreateDatabase(database.url, "lanyard_bench");
migrate(database.url);
if (PG_STATS) await sqlRows("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
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
const burstToken = (await seedLease(db(), { agentId: agent.id, maxToolCalls: 25, expiresIn: 3600 })).leaseToken;
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
  // The app as npm start runs it (server/main.ts: the hot path beside Next), its background jobs on
  // (the audit sealer, expiry, receipts), as in production.
  const app = spawn(process.execPath, ["--import", "tsx", path.join(projectRoot, "scripts/start.ts")], {
    cwd: projectRoot,
    env: { ...process.env, PORT: String(APP_PORT), LANYARD_DATA_DIR: dataDir, LANYARD_SEED_DEMO: "0", LANYARD_DB_POOL_SIZE: "20", LANYARD_SWEEPER: "1", ...(process.env.BENCH_PROFILE ? { LANYARD_CPU_PROFILE: process.env.BENCH_PROFILE } : {}) },
    stdio: ["ignore", "inherit", "inherit"],
  });
  children.push(app);
  const exited = new Promise<never>((_, reject) => app.once("exit", (code) => reject(new Error(`the app exited (${code}) before it answered`))));
  await Promise.race([waitFor(`http://127.0.0.1:${APP_PORT}/api/health`, 600_000), exited]);
  const appPid = serverPid(app.pid!);
  const postmaster = await postmasterPid();
  // The app's CPU and the database's (the postmaster and all its backends: this benchmark owns the server).
  const cpu = (pid = appPid) => ({ app: cpuMs(pid), db: dbCpuMs(postmaster) });

  const body = (token: string) => JSON.stringify({ leaseToken: token, tool: "repo.read" });
  const sample = await post(`http://127.0.0.1:${APP_PORT}/api/v1/decisions`, body(hot), key);
  if (sample.status !== 200 || JSON.parse(sample.text).decision !== "allow") throw new Error(`warm-up decision failed: ${sample.status} ${sample.text}`);

  // The floors, each in its own process (autocannon has this one to itself).
  const floor = async (port: number, mode: "json" | "insert") => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(projectRoot, "scripts/bench/floor-server.ts"), String(port), mode, sample.text], { cwd: projectRoot, env: { ...process.env, LANYARD_DB_POOL_SIZE: "20" }, stdio: ["ignore", "pipe", "inherit"] });
    children.push(child);
    await new Promise<void>((r) => child.stdout!.once("data", () => r()));
    return child;
  };
  const jsonFloor = await floor(BASE_PORT, "json");
  const insertFloor = await floor(INSERT_PORT, "insert");

  const load = (url: string, tokens: string[], connections = CONNECTIONS) => {
    let i = 0;
    return autocannon({
      url,
      connections,
      duration: DURATION,
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      requests: [{ setupRequest: (r: autocannon.Request) => ({ ...r, body: body(tokens[i++ % tokens.length]!) }) }],
    });
  };
  const decisions = `http://127.0.0.1:${APP_PORT}/api/v1/decisions`;
  // Warm the JIT, the pools and the chain cache before measuring.
  await autocannon({ url: decisions, connections: 10, duration: 3, method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: body(spread[0]!) });
  for (const t of spread) await post(decisions, body(t), key);

  const rows: { name: string; r: autocannon.Result; appMs?: number; dbMs: number }[] = [];
  const stats: string[] = [];
  // The "app CPU" column of (1) and (2) is their own server process's.
  const measure = async (name: string, run: () => Promise<autocannon.Result>, pid = appPid) => {
    if (PG_STATS) await sqlRows("SELECT pg_stat_statements_reset()");
    const waits = PG_STATS ? sampleWaits() : undefined;
    const before = cpu(pid);
    const r = await run();
    const after = cpu(pid);
    if (waits) stats.push(`${name}: what active backends were doing (samples every 20 ms): ${await waits()}`);
    rows.push({ name, r, appMs: after.app - before.app, dbMs: after.db - before.db });
    if (PG_STATS) stats.push(`${name}: ${r.requests.total} requests\n${await topStatements()}`);
  };
  await measure("(1) bare node http, same JSON", () => load(`http://127.0.0.1:${BASE_PORT}/`, [hot]), jsonFloor.pid!);
  await measure("(2) bare http + pg, 1 INSERT/req", () => load(`http://127.0.0.1:${INSERT_PORT}/`, [hot]), insertFloor.pid!);
  // BENCH_PROFILE: the app's CPU profile covers (3) only (SIGUSR2 opens and closes its window).
  if (process.env.BENCH_PROFILE) process.kill(appPid, "SIGUSR2");
  await measure("(3) decisions, 200 leases, sealer", () => load(decisions, spread));
  if (process.env.BENCH_PROFILE) process.kill(appPid, "SIGUSR2");
  await measure("(4) decisions, one hot lease", () => load(decisions, [hot]));
  await measure("(5) decisions, 1 connection", () => load(decisions, spread, 1));
  const [{ lag }] = (await sealLag()) as [{ lag: string }];
  const burst = await burstOnOneLease(decisions);

  const floorInsert = rows[1]!.r.requests.average;
  process.stdout.write(`\nPOST /api/v1/decisions, ${CONNECTIONS} connections (unless said), ${DURATION} s each, ${process.env.BENCH_LABEL ?? (database.embedded ? "embedded PostgreSQL" : "DATABASE_URL")}\n`);
  process.stdout.write(`${"scenario".padEnd(36)}${"req/s".padStart(9)}${"p50 ms".padStart(8)}${"p99 ms".padStart(8)}${"errors".padStart(8)}${"non-2xx".padStart(9)}${"vs (2)".padStart(8)}${"app CPU ms".padStart(11)}${"db CPU ms".padStart(10)}\n`);
  for (const { name, r, appMs, dbMs } of rows) {
    const n = r.requests.total;
    const per = (ms: number | undefined) => (ms === undefined || !n ? "" : ms < 0 ? "n/a" : (ms / n).toFixed(3));
    process.stdout.write(
      `${name.padEnd(36)}${r.requests.average.toFixed(0).padStart(9)}${String(r.latency.p50).padStart(8)}${String(r.latency.p99).padStart(8)}${String(r.errors + r.timeouts).padStart(8)}${String(r.non2xx).padStart(9)}${(r.requests.average / floorInsert).toFixed(2).padStart(8)}${per(appMs).padStart(11)}${per(dbMs).padStart(10)}\n`,
    );
  }
  process.stdout.write(`(6) burst of ${BURST} concurrent calls on one lease, budget 25: ${burst.allow} allow, ${burst.deny} deny, ${burst.fiveXx} × 5xx, ${burst.other} other, in ${burst.ms} ms\n`);
  process.stdout.write("targets: (3) >= 0.5 x (2) and p99 <= 25 ms; (5) p50 <= 2 ms; (6) exactly 25 allows, zero 5xx. CPU = user+system time per request answered, of the app process and of PostgreSQL (all its processes)\n");
  process.stdout.write(`PostgreSQL: ${await serverVersion()}; ${cpus().length} cores, shared with whatever else runs on this machine\n`);
  process.stdout.write(`audit events not yet sealed right after the runs: ${lag}\n`);
  if (PG_STATS) process.stdout.write(`\npg_stat_statements per scenario (total ms, calls, ms/call, plans, ms/plan, rows/call, shared blocks hit+read/call, WAL bytes/call):\n${stats.join("\n")}\n`);
} finally {
  await stop();
}

/** The server process under scripts/start.ts (its only child). */
function serverPid(startPid: number): number {
  for (const line of readFileSync(`/proc/${startPid}/task/${startPid}/children`, "utf8").trim().split(/\s+/)) if (line) return Number(line);
  throw new Error("the app's server process was not found");
}

/** The PostgreSQL server's main process: the parent of one of its backends. */
async function postmasterPid(): Promise<number> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    return Number(readFileSync(`/proc/${rows[0]!.pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
  } finally {
    await client.end();
  }
}

async function serverVersion(): Promise<string> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  } finally {
    await client.end();
  }
}

/**
 * CPU time of the postmaster, of its children that have exited (cutime/cstime: it reaps them) and of
 * its live children (backends, WAL writer, checkpointer …), in ms.
 */
function dbCpuMs(postmaster: number): number {
  const own = readFileSync(`/proc/${postmaster}/stat`, "utf8").split(") ")[1]!.split(" ");
  let total = cpuMs(postmaster) + ((Number(own[13]) + Number(own[14])) * 1000) / 100;
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

/** User + system CPU time of a process so far, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

async function burstOnOneLease(url: string) {
  const out = { allow: 0, deny: 0, fiveXx: 0, other: 0, ms: 0 };
  const started = performance.now();
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const one = () =>
    new Promise<void>((resolve) => {
      const req = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json", authorization: `Bearer ${key}` } }, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (c) => (text += c)).on("end", () => {
          if (res.statusCode! >= 500) out.fiveXx++;
          else if (res.statusCode === 200) (JSON.parse(text).decision === "allow" ? out.allow++ : out.deny++);
          else out.other++;
          resolve();
        });
      });
      req.on("error", () => (out.other++, resolve()));
      req.end(JSON.stringify({ leaseToken: burstToken, tool: "repo.read" }));
    });
  await Promise.all(Array.from({ length: BURST }, one));
  out.ms = Math.round(performance.now() - started);
  return out;
}

/** Samples what the app's active backends wait on (pg_stat_activity) until the returned function is called. */
function sampleWaits(): () => Promise<string> {
  const client = new pg.Client({ connectionString: database.url });
  const counts = new Map<string, number>();
  let running = true;
  const loop = (async () => {
    await client.connect();
    while (running) {
      const { rows } = await client.query<{ w: string; q: string }>(`SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS w, left(regexp_replace(query, '\\s+', ' ', 'g'), 40) AS q FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND backend_type = 'client backend'`);
      for (const r of rows) counts.set(`${r.w} [${r.q}]`, (counts.get(`${r.w} [${r.q}]`) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 20));
    }
    await client.end();
  })();
  return async () => {
    running = false;
    await loop;
    return [...counts].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, n]) => `\n    ${String(n).padStart(6)} ${k}`).join("");
  };
}

async function sqlRows(text: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

/** The statements that took the most execution time since the last reset (nested ones included: track = all). */
async function topStatements(): Promise<string> {
  const rows = await sqlRows(`
    SELECT round(total_exec_time)::text AS total, calls::text, round((total_exec_time / greatest(calls, 1))::numeric, 3)::text AS per,
      plans::text, round((total_plan_time / greatest(plans, 1))::numeric, 3)::text AS plan,
      round(rows::numeric / greatest(calls, 1), 1)::text AS rows, round((shared_blks_hit + shared_blks_read)::numeric / greatest(calls, 1), 1)::text AS blks,
      round(wal_bytes / greatest(calls, 1))::text AS wal, toplevel::text, regexp_replace(left(query, 110), '\\s+', ' ', 'g') AS query
    FROM pg_stat_statements ORDER BY total_exec_time + total_plan_time DESC LIMIT 12`);
  return rows.map((r) => `  ${String(r.total).padStart(7)} ${String(r.calls).padStart(7)} ${String(r.per).padStart(8)} ${String(r.plans).padStart(7)} ${String(r.plan).padStart(7)} ${String(r.rows).padStart(6)} ${String(r.blks).padStart(7)} ${String(r.wal).padStart(6)} ${r.toplevel === "true" ? "top " : "nest"} ${r.query}`).join("\n");
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
