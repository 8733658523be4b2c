// npm run bench:audit — the audit log at 1,000,000 events, on its own embedded PostgreSQL: bulk load,
// seal (hash chain), then the explorer's first page for seven representative filters (p50/p95 over 30 runs
// after 3 warm-ups) with the indexes each plan used, verify throughput and export throughput — all
// through lib/audit, the code the API runs. BENCH_EVENTS changes the size; BENCH_REUSE=1 keeps a loaded,
// sealed database from the previous run instead of loading again.
import path from "node:path";
import { CATALOG } from "../../prisma/catalog";
import { openDatabase, projectRoot, recreateDatabase } from "../lib/embedded-db";
import { migrate } from "../lib/migrate";

const N = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const RUNS = 30;
const WARMUPS = 3;
const VERIFY_RUNS = 3;
const LIMIT = 50;
const CHUNK = 100_000;
const SPAN_MS = 30 * 86_400_000;
const START = new Date("2026-10-01T00:00:00Z");
const TARGETS = { pageP95Ms: 100, verifyPerS: 200_000, exportPerS: 50_000 };
const DATABASE = "lanyard_bench_audit";

// Always its own server: a million rows do not belong in whatever DATABASE_URL the shell points at.
delete process.env.DATABASE_URL;
// shared_buffers as a PostgreSQL server for a million-event log would be given (the default 128 MB is
// smaller than the events and seals verify and export read; the machine has 24 GiB).
const database = await openDatabase({ dataDir: path.join(projectRoot, ".data", "bench-audit"), port: 25436, database: DATABASE, settings: { shared_buffers: "1GB" } });
const reuse = process.env.BENCH_REUSE === "1";
if (!reuse) await recreateDatabase(database.url, DATABASE);
migrate(database.url);
process.env.DATABASE_URL = database.url;
process.env.NEXTAUTH_SECRET ??= "bench-secret-bench-secret-bench-secret-0123";
process.env.LANYARD_KEY_ENCRYPTION_KEY ??= Buffer.from("bench-key-encryption-key-0123456").toString("base64"); // 32 bytes
process.env.LANYARD_SWEEPER = "0";

const { db } = await import("@/lib/db");
const { Prisma } = await import("@/lib/generated/prisma/client");
const { listAuditEvents, auditPageSql } = await import("@/lib/audit/explore");
const { exportStream } = await import("@/lib/audit/export");
const { verifyChain, VERIFY_PARALLEL, VERIFY_RANGE } = await import("@/lib/audit/verify");
const { sealPending } = await import("@/lib/audit/seal");
type Filters = import("@/lib/audit/schemas").AuditFilters;

const out = (line = "") => process.stdout.write(`${line}\n`);
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
const fmt = (n: number) => n.toLocaleString("en");

try {
  out(`audit benchmark: ${fmt(N)} events, PostgreSQL ${(await db().$queryRaw<{ v: string }[]>`SELECT current_setting('server_version') AS v`)[0]!.v}, embedded, ${process.env.BENCH_LABEL ?? "this machine"}`);
  const [{ count: have }] = (await db().$queryRaw<{ count: bigint }[]>`SELECT count(*)::bigint AS count FROM "audit_events"`) as [{ count: bigint }];
  if (reuse && Number(have) === N) {
    out(`reusing the ${fmt(N)} events loaded by an earlier run`);
  } else {
    if (Number(have) !== 0) throw new Error(`${have} events already in ${DATABASE}: run without BENCH_REUSE to start afresh`);
    // A bulk load: the secondary indexes go while the rows are written and are rebuilt afterwards
    // from their own definitions (the migrations' indexes, whatever they are at the time).
    const indexes = await db().$queryRaw<{ name: string; def: string }[]>`SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE tablename = 'audit_events' AND indexname <> 'audit_events_pkey'`;
    let t = performance.now();
    for (const i of indexes) await db().$executeRawUnsafe(`DROP INDEX "${i.name}"`);
    for (let lo = 1; lo <= N; lo += CHUNK) await db().$executeRaw(loadChunk(lo, Math.min(N, lo + CHUNK - 1)));
    const loadMs = performance.now() - t;
    t = performance.now();
    await db().$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`SET LOCAL maintenance_work_mem = '512MB'`);
      for (const i of indexes) await tx.$executeRawUnsafe(i.def);
    }, { timeout: 600_000 });
    const indexMs = performance.now() - t;
    t = performance.now();
    await db().$executeRawUnsafe(`VACUUM ANALYZE "audit_events"`);
    out(`load:    ${fmt(N)} events in ${(loadMs / 1000).toFixed(1)} s (${fmt(rate(N, loadMs))} events/s, INSERT … SELECT generate_series in ${N / CHUNK} chunks), ${indexes.length} indexes rebuilt in ${(indexMs / 1000).toFixed(1)} s, vacuum analyze ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }

  const [{ lastSeq }] = (await db().$queryRaw<{ lastSeq: bigint }[]>`SELECT "lastSeq" FROM "audit_seal_state" WHERE "id" = 1`) as [{ lastSeq: bigint }];
  if (Number(lastSeq) < N) {
    const t = performance.now();
    let sealed = 0;
    for (;;) {
      const r = await sealPending(db(), 50_000);
      sealed += r.sealed;
      if (r.sealed === 0) break;
    }
    const ms = performance.now() - t;
    await db().$executeRawUnsafe(`VACUUM ANALYZE "audit_seals"`);
    out(`seal:    ${fmt(sealed)} events in ${(ms / 1000).toFixed(1)} s (${fmt(rate(sealed, ms))} events/s, sealPending(db, 50_000) in a loop)`);
  }

  // A representative of each filter, picked from the loaded data.
  const to = new Date(START.getTime() + 20 * 86_400_000).toISOString();
  const from = new Date(START.getTime() + 13 * 86_400_000).toISOString();
  const filters: [string, Filters][] = [
    ["by agent", { agentId: "agt_bench_07" }],
    ["by lease", { leaseId: "lse_bench_1234" }],
    ["by outcome + time range", { outcome: "deny", from, to }],
    ["by actor", { actor: "person3@example.com" }],
    ["by actor (rare)", { actor: "rare@example.com" }],
    ["free text (~1%)", { q: "quarantine" }],
    ["no filter", {}],
  ];

  out();
  out(`first page (limit ${LIMIT}), ${RUNS} runs after ${WARMUPS} warm-ups — target p95 <= ${TARGETS.pageP95Ms} ms`);
  out(`${"filter".padEnd(26)}${"rows".padStart(6)}${"p50 ms".padStart(9)}${"p95 ms".padStart(9)}  ${"target".padEnd(8)}indexes used`);
  let pagesOk = true;
  for (const [name, f] of filters) {
    let rows = 0;
    const times: number[] = [];
    for (let i = 0; i < WARMUPS + RUNS; i++) {
      const t = performance.now();
      const page = await listAuditEvents(db(), { ...f, limit: LIMIT });
      const ms = performance.now() - t;
      rows = page.events.length;
      if (i >= WARMUPS) times.push(ms);
    }
    times.sort((a, b) => a - b);
    const p50 = pct(times, 50);
    const p95 = pct(times, 95);
    const ok = p95 <= TARGETS.pageP95Ms;
    pagesOk &&= ok;
    out(`${name.padEnd(26)}${String(rows).padStart(6)}${p50.toFixed(1).padStart(9)}${p95.toFixed(1).padStart(9)}  ${(ok ? "ok" : "MISSED").padEnd(8)}${(await indexesUsed(f)).join(", ")}`);
  }

  out();
  {
    // Verify three times, each after the same-run baseline: PostgreSQL computing every event's digest
    // and nothing else, in the same ranges on the same number of backends. The ratio is the share of
    // that floor verify reaches; the machine's speed at the moment moves both alike.
    const verifyRates: number[] = [];
    const floorRates: number[] = [];
    for (let run = 1; run <= VERIFY_RUNS; run++) {
      let t = performance.now();
      const hashed = await digestFloor();
      const floorPerS = rate(hashed, performance.now() - t);
      floorRates.push(floorPerS);
      t = performance.now();
      const r = await verifyChain(db());
      const ms = performance.now() - t;
      const perS = rate(r.checked, ms);
      verifyRates.push(perS);
      out(`verify:  run ${run}: ${fmt(r.checked)} events in ${(ms / 1000).toFixed(2)} s = ${fmt(perS)} events/s; baseline (digests only) ${fmt(floorPerS)} events/s; ratio ${(perS / floorPerS).toFixed(2)}; ok=${r.ok}`);
      if (!r.ok) throw new Error(`the benchmark's own chain does not verify: ${r.detail}`);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const perS = median(verifyRates);
    out(`verify:  median ${fmt(perS)} events/s (target >= ${fmt(TARGETS.verifyPerS)}: ${perS >= TARGETS.verifyPerS ? "ok" : "MISSED"}), ${(perS / median(floorRates)).toFixed(2)} of the digest-only baseline's median ${fmt(median(floorRates))}; slowest run ${fmt(Math.min(...verifyRates))}`);
  }
  for (const format of ["jsonl", "csv"] as const) {
    const t = performance.now();
    const reader = exportStream({}, format).getReader();
    let bytes = 0;
    let lines = format === "csv" ? -1 : 0; // the CSV header
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      for (let i = value.indexOf(10); i !== -1; i = value.indexOf(10, i + 1)) lines++;
    }
    const ms = performance.now() - t;
    const perS = rate(lines, ms);
    out(`export:  ${fmt(lines)} events (${format}, ${(bytes / 1e6).toFixed(0)} MB) in ${(ms / 1000).toFixed(2)} s = ${fmt(perS)} events/s (target >= ${fmt(TARGETS.exportPerS)}: ${perS >= TARGETS.exportPerS ? "ok" : "MISSED"})`);
  }
  out(pagesOk ? "first pages: every filter within target" : "first pages: some filter MISSED its target");
} finally {
  await db().$disconnect();
  await database.stop().catch(() => {});
}

/** The baseline for verify: every event's digest computed in PostgreSQL, in verify's ranges, as many at once as verify runs. */
async function digestFloor(): Promise<number> {
  const [{ last }] = (await db().$queryRaw<{ last: bigint }[]>`SELECT coalesce(max("seq"), 0)::bigint AS last FROM "audit_events"`) as [{ last: bigint }];
  const ranges: [bigint, bigint][] = [];
  for (let lo = 1n; lo <= last; lo += BigInt(VERIFY_RANGE)) ranges.push([lo, lo + BigInt(VERIFY_RANGE) - 1n]);
  let hashed = 0;
  let next = 0;
  const worker = async () => {
    while (next < ranges.length) {
      const [lo, hi] = ranges[next++]!;
      const [row] = await db().$queryRaw<{ n: bigint }[]>(Prisma.sql`SELECT count(lanyard_audit_digest(e))::bigint AS n FROM "audit_events" e WHERE "seq" >= ${lo} AND "seq" <= ${hi}`);
      hashed += Number(row!.n);
    }
  };
  await Promise.all(Array.from({ length: VERIFY_PARALLEL }, worker));
  return hashed;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The index names in the plan of the page query, as listAuditEvents runs it. */
async function indexesUsed(f: Filters): Promise<string[]> {
  const [row] = await db().$queryRaw<{ "QUERY PLAN": unknown }[]>(Prisma.sql`EXPLAIN (FORMAT JSON) ${await auditPageSql(db(), { ...f, limit: LIMIT })}`);
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (!node || typeof node !== "object") return;
    const n = node as Record<string, unknown>;
    if (typeof n["Index Name"] === "string") names.add(`${n["Index Name"]} (${String(n["Node Type"]).replace(" Scan", "").toLowerCase()}${n["Scan Direction"] === "Backward" ? ", backward" : ""})`);
    if (n["Node Type"] === "Seq Scan") names.add(`seq scan of ${String(n["Relation Name"])}`);
    if (n["Node Type"] === "Sort") names.add("sort");
    for (const v of Object.values(n)) if (v && typeof v === "object") Array.isArray(v) ? v.forEach(walk) : walk(v);
  };
  walk(row?.["QUERY PLAN"]);
  return [...names];
}

/**
 * One chunk of synthetic events in a single INSERT … SELECT over generate_series, in seq order, with
 * time growing with seq over 30 days. 50 agents, 2,000 runs, 5,000 leases (a lease belongs to one run,
 * a run to one agent), 10 people, 5 enforcement points, the catalog's tools; 70% decisions (80% allow,
 * 15% deny, 5% escalate), the rest lease, escalation, vote, console and sign-in events. About 1% of
 * payloads carry the word "quarantine" (the free-text probe); every 100,000th event is by rare@example.com
 * (the rare-actor probe).
 */
function loadChunk(lo: number, hi: number) {
  const tools = `ARRAY[${CATALOG.map((t) => `'${t.name}'`).join(",")}]`;
  return Prisma.sql`
    INSERT INTO "audit_events" ("id", "at", "action", "actorType", "actorId", "actorLabel", "agentId", "runId", "leaseId", "escalationId", "decisionId", "subjectType", "subjectId", "leaseVersion", "tokenJti", "tool", "outcome", "payload")
    SELECT 'evt_bench_' || g, at, action,
      CASE WHEN action = 'decision' THEN 'enforcement_point' WHEN action IN ('lease.ended') THEN 'system' ELSE 'user' END,
      CASE WHEN action = 'decision' THEN 'ep_bench_' || (g % 5) WHEN action = 'lease.ended' THEN NULL ELSE 'usr_bench_' || (g % 10) END,
      CASE WHEN g % 100000 = 7 THEN 'rare@example.com' WHEN action = 'decision' THEN 'gateway-' || (g % 5) WHEN action = 'lease.ended' THEN NULL ELSE 'person' || (g % 10) || '@example.com' END,
      CASE WHEN action IN ('auth.sign_in') THEN NULL ELSE 'agt_bench_' || lpad(((lk % 2000) % 50)::text, 2, '0') END,
      CASE WHEN action IN ('auth.sign_in', 'agent.updated') THEN NULL ELSE 'run_bench_' || (lk % 2000) END,
      CASE WHEN action IN ('auth.sign_in', 'agent.updated') THEN NULL ELSE 'lse_bench_' || lk END,
      CASE WHEN action LIKE 'escalation.%' OR outcome = 'escalate' THEN 'esc_bench_' || (g / 10) END,
      CASE WHEN action = 'decision' THEN 'dec_bench_' || g END,
      CASE WHEN action = 'decision' THEN 'decision' WHEN action LIKE 'lease.%' THEN 'lease' WHEN action LIKE 'escalation.%' THEN 'escalation' WHEN action = 'agent.updated' THEN 'agent' ELSE 'user' END,
      CASE WHEN action = 'decision' THEN 'dec_bench_' || g WHEN action LIKE 'lease.%' THEN 'lse_bench_' || lk WHEN action LIKE 'escalation.%' THEN 'esc_bench_' || (g / 10) WHEN action = 'agent.updated' THEN 'agt_bench_' || lpad(((lk % 2000) % 50)::text, 2, '0') ELSE 'usr_bench_' || (g % 10) END,
      CASE WHEN action IN ('decision', 'escalation.created') THEN 1 END,
      CASE WHEN action = 'decision' THEN 'lse_bench_' || lk END,
      CASE WHEN action IN ('decision', 'escalation.created', 'escalation.voted', 'escalation.decided') THEN tool END,
      outcome,
      (CASE
        WHEN action = 'decision' THEN jsonb_build_object('resource', jsonb_build_object('type', 'repo', 'id', 'repo-' || (g % 300)), 'reasons', jsonb_build_array(jsonb_build_object('code', CASE outcome WHEN 'allow' THEN 'granted' WHEN 'deny' THEN 'tool_denied' ELSE 'step_up_required' END, 'message', tool || ' ' || outcome)), 'latencyMs', (g % 50) / 10.0)
        WHEN action = 'lease.issued' THEN jsonb_build_object('lease', jsonb_build_object('purpose', 'nightly maintenance ' || lk, 'environment', 'staging', 'grants', jsonb_build_array(jsonb_build_object('tool', tool))))
        WHEN action LIKE 'escalation.%' THEN jsonb_build_object('reason', 'looks fine', 'kind', 'step_up')
        WHEN action = 'agent.updated' THEN jsonb_build_object('changes', jsonb_build_object('description', jsonb_build_object('from', 'old', 'to', 'new')))
        ELSE jsonb_build_object('method', 'password')
      END) || CASE WHEN g % 97 = 0 THEN '{"note": "quarantine hold"}'::jsonb ELSE '{}'::jsonb END
    FROM (
      SELECT g, lk, tool,
        ${START}::timestamp + ((g::numeric * ${SPAN_MS}) / ${N}) * interval '1 millisecond' AS at,
        CASE WHEN kind < 70 THEN 'decision' WHEN kind < 80 THEN 'lease.issued' WHEN kind < 85 THEN 'lease.ended' WHEN kind < 90 THEN 'escalation.created'
             WHEN kind < 94 THEN 'escalation.voted' WHEN kind < 97 THEN 'escalation.decided' WHEN kind < 99 THEN 'agent.updated' ELSE 'auth.sign_in' END AS action,
        CASE WHEN kind < 70 THEN (CASE WHEN roll < 80 THEN 'allow' WHEN roll < 95 THEN 'deny' ELSE 'escalate' END)
             WHEN kind BETWEEN 90 AND 96 THEN (CASE WHEN roll < 85 THEN 'approved' ELSE 'denied' END)
             WHEN kind = 99 THEN 'allow' END AS outcome
      FROM (
        SELECT g, (g * 7919) % 5000 AS lk, g % 100 AS kind, (g * 17) % 100 AS roll, (${Prisma.raw(tools)})[((g * 13) % ${CATALOG.length}) + 1] AS tool
        FROM generate_series(${lo}::bigint, ${hi}::bigint) AS g
      ) k
    ) e
    ORDER BY g`;
}
