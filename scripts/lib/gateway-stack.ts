// What `npm run conformance:gateway` and `npm run bench:gateway` stand up: an embedded PostgreSQL of
// their own (recreated each run), Lanyard's API in its own process, the MCP conformance reference server
// as the upstream, and the gateway as `npm run gateway -- --port 0` runs it, with a key whose connection
// maps the reference server and a lease that grants it (test/gateway-conformance.ts).
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { openDatabase, projectRoot, recreateDatabase } from "./embedded-db";
import { migrate } from "./migrate";

export async function startGatewayStack(o: { name: string; pgPort: number; maxToolCalls?: number; log?: (s: string) => void }) {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const database = await openDatabase({ dataDir: path.join(projectRoot, ".data", o.name), port: o.pgPort, database: `lanyard_${o.name.replace(/\W/g, "_")}` });
  const children: ChildProcess[] = [];
  let fixture: { url: string; pid: number; stop: () => Promise<void> } | undefined;
  const stop = async () => {
    await Promise.all(children.filter((c) => c.exitCode === null && c.signalCode === null).map((c) => new Promise<void>((r) => {
      const timer = setTimeout(r, 10_000);
      c.once("exit", () => (clearTimeout(timer), r()));
      c.kill("SIGTERM");
    })));
    await fixture?.stop();
    await database.stop().catch(() => {});
  };
  try {
    // Only its own embedded server is recreated: a DATABASE_URL from the shell is never dropped.
    if (database.embedded) await recreateDatabase(database.url, `lanyard_${o.name.replace(/\W/g, "_")}`);
    migrate(database.url);
    process.env.DATABASE_URL = database.url;
    process.env.NEXTAUTH_SECRET ??= "gateway-stack-secret-gateway-stack-secret-0";
    process.env.LANYARD_KEY_ENCRYPTION_KEY ??= Buffer.from("gateway-stack-key-encryption-012").toString("base64"); // 32 bytes
    process.env.LANYARD_SWEEPER = "0";
    process.env.LANYARD_MAX_TOOL_CALLS ??= "100000000";
    // The gateway's one key carries all the load: the per-key rate limit is not what is measured.
    process.env.LANYARD_EP_RATE_LIMIT ??= "1000000";

    const { startConformanceFixture } = await import("@/test/mcp-fixture");
    const { seedConformanceSetup } = await import("@/test/gateway-conformance");
    const { db } = await import("@/lib/db");
    fixture = await startConformanceFixture();
    log(`upstream: the MCP conformance reference server at ${fixture.url}`);
    const setup = await seedConformanceSetup(db(), fixture.url, { maxToolCalls: o.maxToolCalls });
    await db().$disconnect();

    const started = (args: string[], env: NodeJS.ProcessEnv, pattern: RegExp, stream: "stdout" | "stderr", nodeArgs: string[] = []) => {
      const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", ...args], { cwd: projectRoot, env, stdio: ["ignore", stream === "stdout" ? "pipe" : "ignore", stream === "stderr" ? "pipe" : "inherit"] });
      children.push(child);
      let seen = "";
      return new Promise<{ match: RegExpExecArray; pid: number }>((resolve, reject) => {
        const take = (b: Buffer) => {
          seen += b.toString();
          const m = pattern.exec(seen);
          if (!m) return;
          // Found: the rest of its output is drained, not kept.
          child[stream]!.off("data", take);
          child[stream]!.resume();
          resolve({ match: m, pid: child.pid! });
        };
        child[stream]!.on("data", take);
        child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited (${code}): ${seen}`)));
      });
    };
    const lanyard = await started([path.join(projectRoot, "test/lanyard-api-main.ts")], { ...process.env, LANYARD_DB_POOL_SIZE: "20" }, /LANYARD (\S+)/, "stdout");
    const lanyardUrl = lanyard.match[1]!;
    log(`lanyard: ${lanyardUrl}`);
    const gw = await started(
      // GATEWAY_MAIN=<path to another checkout's gateway/main.ts>: an A/B against other gateway code in the same conditions.
      [path.resolve(projectRoot, process.env.GATEWAY_MAIN ?? "gateway/main.ts"), "--port", "0"],
      { ...process.env, LANYARD_URL: lanyardUrl, LANYARD_GATEWAY_KEY: setup.gatewayKey },
      /MCP at (http:\/\/\S+\/mcp)/,
      "stderr",
      // A CPU profile of the gateway, written when it stops (GATEWAY_CPU_PROFILE_DIR=<folder>).
      process.env.GATEWAY_CPU_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.GATEWAY_CPU_PROFILE_DIR}`] : [],
    );
    log(`gateway: ${gw.match[1]}`);
    return { databaseUrl: database.url, fixtureUrl: fixture.url, fixturePid: fixture.pid, gatewayUrl: gw.match[1]!, gatewayPid: gw.pid, lanyardUrl, lanyardPid: lanyard.pid, ...setup, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
