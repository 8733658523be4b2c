// npm start: database up → migrations → catalog and demo seed → production build if missing or stale → server/main.ts (Next behind it).
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { dataSecrets, openDatabase, projectRoot } from "./lib/embedded-db";
import { migrate } from "./lib/migrate";
import { provisionRuntimeLogin, RUNTIME_ROLE, type RuntimeLogin, runtimeRoleUrl } from "./lib/runtime-role";

const port = Number(process.env.PORT ?? 3000);
const dataDir = path.resolve(projectRoot, process.env.LANYARD_DATA_DIR ?? ".data");
const log = (s: string) => process.stdout.write(`[lanyard] ${s}\n`);

// A database that cannot be opened is said in one sentence (what to do), not a stack trace.
const database = await openDatabase({ dataDir, port: Number(process.env.LANYARD_PG_PORT ?? 25432) }).catch((err: unknown) => {
  process.stderr.write(`[lanyard] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
log(database.embedded ? `embedded PostgreSQL in ${path.relative(projectRoot, dataDir)}/pg` : "using DATABASE_URL");
let stopping = false;
let app: ReturnType<typeof spawn> | undefined;
const shutdown = async (code = 0) => {
  if (stopping) return;
  stopping = true;
  // The console first (it finishes its requests and closes its connections, and frees the port),
  // then the database under it.
  if (app && app.exitCode === null && app.signalCode === null) {
    const exited = new Promise<void>((r) => app!.once("exit", () => r()));
    app.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  }
  await database.stop().catch(() => {});
  process.exit(code);
};
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

try {
  migrate(database.url);
  const secrets = dataSecrets(dataDir);
  // Migrations and the seed run as the schema's owner; the console runs as the least-privileged
  // lanyard_app (it can only INSERT into the audit log). LANYARD_APP_DATABASE_URL names the console's own
  // login; else an operator's DATABASE_URL that may manage roles gives lanyard_app a login, as the
  // embedded database does, and one that may not leaves the console running as DATABASE_URL.
  const login: RuntimeLogin = process.env.LANYARD_APP_DATABASE_URL
    ? { url: process.env.LANYARD_APP_DATABASE_URL, message: `the console connects as ${new URL(process.env.LANYARD_APP_DATABASE_URL).username} (LANYARD_APP_DATABASE_URL)` }
    : database.embedded
      ? { url: await runtimeRoleUrl(database.url, secrets.appPassword), message: `the console connects as ${RUNTIME_ROLE}` }
      : await provisionRuntimeLogin(database.url, secrets.appPassword);
  log(login.message);
  const appUrl = login.url;
  const env = {
    ...process.env,
    DATABASE_URL: appUrl ?? database.url,
    NEXTAUTH_SECRET: process.env.NEXTAUTH_SECRET ?? secrets.sessionSecret,
    LANYARD_KEY_ENCRYPTION_KEY: process.env.LANYARD_KEY_ENCRYPTION_KEY ?? secrets.keyEncryptionKey,
    NEXTAUTH_URL: process.env.NEXTAUTH_URL ?? `http://localhost:${port}`,
    PORT: String(port),
  };
  const seedDemo = process.env.LANYARD_SEED_DEMO ?? (database.embedded ? "1" : "0");
  const password = process.env.LANYARD_DEMO_PASSWORD ?? "lanyard-demo";
  const seeded = spawnSync(process.execPath, ["--import", "tsx", path.join(projectRoot, "scripts/seed.ts")], {
    cwd: projectRoot,
    env: { ...env, DATABASE_URL: database.url, LANYARD_SEED_DEMO: seedDemo, LANYARD_DEMO_PASSWORD: password },
    stdio: "inherit",
  });
  if (seeded.status !== 0) throw new Error("seeding failed");

  const stamp = sourceStamp();
  const stampFile = path.join(projectRoot, ".next", "lanyard-source-stamp");
  if (!existsSync(stampFile) || readFileSync(stampFile, "utf8") !== stamp) {
    log("building the console (first start or sources changed)…");
    const built = spawnSync(process.execPath, [path.join(projectRoot, "node_modules/next/dist/bin/next"), "build"], { cwd: projectRoot, env, stdio: "inherit" });
    if (built.status !== 0) throw new Error("next build failed");
    writeFileSync(stampFile, stamp);
  }
  // Demo accounts have a known password: a console seeded with them listens on this machine only,
  // unless LANYARD_HOST says otherwise.
  const host = process.env.LANYARD_HOST ?? (seedDemo === "1" ? "127.0.0.1" : "0.0.0.0");
  // Our server (server/main.ts): Next's handler behind it, the decision hot path answered by it.
  app = spawn(process.execPath, ["--import", "tsx", path.join(projectRoot, "server/main.ts")], { cwd: projectRoot, env: { ...env, HOSTNAME: host, NODE_ENV: "production" }, stdio: "inherit" });
  app.on("exit", (code) => void shutdown(code ?? 0));
  log(`console: http://localhost:${port}${host === "127.0.0.1" ? " (this machine only: demo accounts; LANYARD_HOST=0.0.0.0 to listen on every interface)" : ` (listening on ${host})`}`);
  if (seedDemo === "1") log(`demo sign-in: admin@example.com (also approver@, approver2@, auditor@, maya@example.com), password ${process.env.LANYARD_DEMO_PASSWORD ? "from LANYARD_DEMO_PASSWORD" : "lanyard-demo"}`);
} catch (err) {
  process.stderr.write(`[lanyard] ${err instanceof Error ? err.message : String(err)}\n`);
  await shutdown(1);
}

/** A hash of everything the build reads, so a stale build is rebuilt and a fresh one is reused. */
function sourceStamp(): string {
  const h = createHash("sha256");
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir).sort()) {
      if (name === "generated" || name.startsWith(".")) continue;
      const p = path.join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else h.update(`${path.relative(projectRoot, p)}:${st.size}:${st.mtimeMs}\n`);
    }
  };
  for (const d of ["app", "components", "lib", "prisma", "public"]) walk(path.join(projectRoot, d));
  for (const f of ["package-lock.json", "next.config.ts", "postcss.config.mjs", "proxy.ts", "instrumentation.ts", "tsconfig.json"]) {
    const p = path.join(projectRoot, f);
    if (existsSync(p)) h.update(`${f}:${readFileSync(p, "utf8")}`);
  }
  return h.digest("hex");
}
