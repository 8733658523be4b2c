// npm run bench:policy — what policies (Cedar) cost, on its own embedded PostgreSQL:
// 1. per decision: evaluateChain (lease rules, then policy) with no policy published, with 100
//    policies spread over the catalog's tools, and with 100 policies all on the called tool; each call
//    on a new resource (policies read its tier tag: 7 values); then the same "cold", each call a Cedar
//    evaluation (no memo); p50/p99 over BENCH_CALLS calls, in this process. The calls are in production
//    and the policies' guards (context.environment == "env<i>") name other environments, so narrowing
//    leaves none of them; two more cold cases where it cannot help: no guards (7 policies on the tool),
//    and 100 on the tool whose guards all hold;
// 2. replay: BENCH_DECISIONS past decisions (default 100,000, one INSERT … SELECT generate_series over
//    200 leases) replayed under a 100-policy draft and under a 2-policy draft, through lib/policy/replay.
import path from "node:path";
import { performance } from "node:perf_hooks";
import { CATALOG } from "../../prisma/catalog";
import { openDatabase, projectRoot, recreateDatabase } from "../lib/embedded-db";
import { migrate } from "../lib/migrate";

const DECISIONS = Number(process.env.BENCH_DECISIONS ?? 100_000);
const CALLS = Number(process.env.BENCH_CALLS ?? 20_000);
const LEASES = 200;
const DATABASE = "lanyard_bench_policy";
const TARGETS = { p99Ms: 0.2, replayS: 10 };

delete process.env.DATABASE_URL;
const database = await openDatabase({ dataDir: path.join(projectRoot, ".data", "bench-policy"), port: 25562, database: DATABASE });
await recreateDatabase(database.url, DATABASE);
migrate(database.url);
process.env.DATABASE_URL = database.url;
process.env.NEXTAUTH_SECRET ??= "bench-secret-bench-secret-bench-secret-0123";
process.env.LANYARD_KEY_ENCRYPTION_KEY ??= Buffer.from("bench-key-encryption-key-0123456").toString("base64");
process.env.LANYARD_SWEEPER = "0";

const { db } = await import("@/lib/db");
const { Prisma } = await import("@/lib/generated/prisma/client");
const { evaluateChain, loadChain } = await import("@/lib/decisions/decide");
const { compilePolicySet, evaluatePolicy } = await import("@/lib/policy/evaluate");
const { policyCallOf } = await import("@/lib/policy/call");
const { loadSchemaData } = await import("@/lib/policy/schema");
const { replayPolicy } = await import("@/lib/policy/replay");
const { toolCatalog } = await import("@/lib/tools/catalog");
const { seedAgent, seedLease, seedPerson } = await import("@/test/factories");
const { stopListening } = await import("@/lib/events/bus");

const out = (line = "") => process.stdout.write(`${line}\n`);
const fmt = (n: number) => n.toLocaleString("en");
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

// 100 policies: each on one tool of the catalog (round robin), reading the environment, the delegator's role and a resource tag.
const spread = Array.from({ length: 100 }, (_, i) => {
  const tool = CATALOG[i % CATALOG.length]!.name;
  return `@id("p${i}") forbid(principal, action == Action::"${tool}", resource) when { context.environment == "env${i}" && !(context.delegator in Role::"admin") && resource.hasTag("tier") && resource.getTag("tier") == "t${i}" };`;
}).join("\n");
const oneTool = Array.from({ length: 100 }, (_, i) => `@id("q${i}") forbid(principal, action == Action::"repo.read", resource) when { context.environment == "env${i}" && context.remainingToolCalls > ${i} };`).join("\n");
// The same shapes where narrowing by guards cannot help: every policy's guard holds for the calls (100
// on the tool), or the policies have no guard (the spread without its environment test: 7 on the tool).
const oneToolMatching = Array.from({ length: 100 }, (_, i) => `@id("m${i}") forbid(principal, action == Action::"repo.read", resource) when { context.environment == "production" && context.remainingToolCalls > ${20_000 + i} };`).join("\n");
const spreadUnguarded = Array.from({ length: 100 }, (_, i) => {
  const tool = CATALOG[i % CATALOG.length]!.name;
  return `@id("u${i}") forbid(principal, action == Action::"${tool}", resource) when { !(context.delegator in Role::"admin") && resource.hasTag("tier") && resource.getTag("tier") == "t${i}" };`;
}).join("\n");
const small = `@id("prod-deploy") forbid(principal, action == Action::"production.deploy", resource) when { context.environment == "production" } unless { context.delegator in Role::"admin" };
@id("writes-escalate") @escalate("writes in production") forbid(principal, action in Action::"write", resource) when { context.environment == "production" && context.remainingToolCalls < 500 };`;

try {
  out(`policy benchmark: ${process.env.BENCH_LABEL ?? "this machine"}; load average ${(await import("node:os")).loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  const requester = await seedPerson(db(), { role: "requester" });
  const leases: { id: string; runId: string; agentId: string }[] = [];
  const agents = await Promise.all(Array.from({ length: 20 }, () => seedAgent(db())));
  for (let k = 0; k < LEASES; k++) {
    const { lease } = await seedLease(db(), { agentId: agents[k % agents.length]!.id, environment: "production", maxToolCalls: 10_000 });
    if (k % 2) await db().lease.update({ where: { id: lease.id }, data: { delegatorId: requester.id } });
    leases.push(lease);
  }
  const data = await loadSchemaData(db());
  const compiled = (text: string) => {
    const c = compilePolicySet(text, data, 1);
    if (!c.ok) throw new Error(JSON.stringify(c.errors));
    return { version: 1, set: c.set } as const;
  };

  // 1. Per decision.
  const chain = await loadChain(db(), leases[1]!.id);
  const leaf = chain.leases[0]!;
  const claims = { leaseId: leaf.id, runId: leaf.runId, agentId: leaf.agentId, parentLeaseId: null, iat: 0, exp: 0 };
  const tool = (await toolCatalog(db())).get("repo.read");
  const cases = [
    ["lease rules only (nothing published)", undefined, false],
    ["100 policies over 16 tools (7 on the tool)", compiled(spread), false],
    ["100 policies all on the tool", compiled(oneTool), false],
    ["100 over 16 tools, cold (no memo: every call a Cedar evaluation)", compiled(spread), true],
    ["100 on the tool, cold", compiled(oneTool), true],
    ["100 over 16 tools, no guards (7 on the tool), cold", compiled(spreadUnguarded), true],
    ["100 on the tool, every guard holds, cold", compiled(oneToolMatching), true],
  ] as const;
  out(`\nper decision: evaluateChain for repo.read, ${fmt(CALLS)} calls each after 2,000 warm-ups`);
  out(`| case | p50 ms | p99 ms |`);
  out(`| --- | --- | --- |`);
  const base = { p50: 0, p99: 0 };
  for (const [name, policy, cold] of cases) {
    const times: number[] = [];
    for (let i = 0; i < CALLS + 2_000; i++) {
      const request = { leaseToken: "", tool: "repo.read", resource: { type: "path", id: `src/f${i}.ts`, attributes: { tier: `t${i % 7}` } }, context: { environment: "production" } };
      const t = performance.now();
      if (cold) evaluatePolicy(policy!.set, policyCallOf(chain.leases, chain.facts!, chain.agentStatus, request, new Date()), new Map());
      else evaluateChain(claims, chain, tool, request, new Date(), policy);
      if (i >= 2_000) times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const r = { p50: pct(times, 50), p99: pct(times, 99) };
    if (!policy) Object.assign(base, r);
    out(`| ${name} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)}${policy ? ` (policy: +${(r.p99 - base.p99).toFixed(3)})` : ""} |`);
  }

  // 2. Replay.
  const ids = leases.map((l) => l.id);
  const tools = CATALOG.map((t) => t.name);
  const start = new Date("2026-06-01T00:00:00Z");
  let t = performance.now();
  await db().$executeRaw(Prisma.sql`
    INSERT INTO "decisions" ("id", "leaseId", "runId", "agentId", "tool", "resource", "context", "outcome", "reasons", "leaseVersion", "createdAt")
    SELECT 'dec_bench' || i, l."id", l."runId", l."agentId", t.tool,
      jsonb_build_object('type', 'path', 'id', 'src/f' || (i % 1000) || '.ts', 'attributes', jsonb_build_object('tier', 't' || (i % 100))),
      jsonb_build_object('environment', CASE WHEN i % 3 = 0 THEN 'production' ELSE 'env' || (i % 100) END),
      CASE WHEN i % 5 = 0 THEN 'deny' WHEN i % 11 = 0 THEN 'escalate' ELSE 'allow' END, '[]'::jsonb, 1,
      ${start}::timestamp + make_interval(secs => i)
    FROM generate_series(1, ${DECISIONS}) i
    JOIN "leases" l ON l."id" = (${ids}::text[])[1 + (i / 7) % ${ids.length}]
    CROSS JOIN LATERAL (SELECT (${tools}::text[])[1 + (i * 7) % ${tools.length}] AS tool) t`);
  await db().$executeRaw`ANALYZE "decisions"`;
  out(`\nreplay: ${fmt(DECISIONS)} decisions generated in ${Math.round(performance.now() - t)} ms`);
  out(`| draft | evaluated | changed | total ms | reading ms | decisions/s |`);
  out(`| --- | --- | --- | --- | --- | --- |`);
  for (const [name, text] of [["2 policies", small], ["100 policies over 16 tools", spread], ["100 policies on repo.read", oneTool]] as const) {
    for (let run = 0; run < 2; run++) {
      t = performance.now();
      const r = await replayPolicy(db(), { text, limit: DECISIONS });
      const ms = performance.now() - t;
      out(`| ${name}${run ? "" : " (first run)"} | ${fmt(r.evaluated)} | ${fmt(r.changedTotal)} | ${Math.round(ms)} | ${r.loadMs} | ${fmt(Math.round((r.evaluated / ms) * 1000))} |`);
    }
  }
  out(`\ntargets: policy p99 <= ${TARGETS.p99Ms} ms per decision with 100 policies; ${fmt(100_000)} decisions replayed in <= ${TARGETS.replayS} s`);
} finally {
  await stopListening().catch(() => {});
  await db().$disconnect();
  await database.stop();
}
