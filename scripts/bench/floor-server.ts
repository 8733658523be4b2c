// The floors of bench:decisions, in a process of their own (as the app is): bare Node http answering a
// decision-sized JSON, and bare Node http + pg doing one INSERT of an audit-sized row per request.
import http from "node:http";
import pg from "pg";

const [port, mode, answer] = [Number(process.argv[2]), process.argv[3] as "json" | "insert", process.argv[4]!];
const pool = mode === "insert" ? new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.LANYARD_DB_POOL_SIZE ?? 20) }) : null;
if (pool) await pool.query(`CREATE TABLE IF NOT EXISTS "bench_floor" ("seq" BIGSERIAL PRIMARY KEY, "id" text NOT NULL, "at" timestamp(3) NOT NULL, "action" text NOT NULL, "actorId" text, "leaseId" text, "tool" text, "payload" jsonb NOT NULL)`);
const payload = JSON.stringify({ resource: null, context: null, reasons: [{ code: "granted", message: "repo.read is granted by the lease" }], approvalId: null, latencyMs: 0.5 });
let n = 0;
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    const done = () => res.writeHead(200, { "content-type": "application/json" }).end(answer);
    if (!pool) return done();
    pool
      .query({ name: "floor", text: `INSERT INTO "bench_floor" ("id", "at", "action", "actorId", "leaseId", "tool", "payload") VALUES ($1, $2, 'decision', 'ep_bench', 'lse_bench', 'repo.read', $3)`, values: [`evt_${process.pid}_${n++}`, new Date(), payload] })
      .then(done, (err) => res.writeHead(503).end(String(err)));
  });
});
server.listen(port, "127.0.0.1", () => process.stdout.write("ready\n"));
process.on("SIGTERM", () => server.close(() => void pool?.end().finally(() => process.exit(0))));
