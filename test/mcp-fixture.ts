// The MCP conformance reference server (../shared/fixtures/mcp-conformance-server, unchanged) as a real
// upstream over Streamable HTTP, on a port of its own. It is copied under .data/ so that its imports
// (the SDK, express, cors, zod) resolve to this project's node_modules; shared/ is read-only.
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, renameSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
export const FIXTURE_SOURCE = path.resolve(root, "../shared/fixtures/mcp-conformance-server/everything-server.ts");

export async function startConformanceFixture(o: { timeoutMs?: number } = {}) {
  const dir = path.join(root, ".data", "mcp-conformance-server");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "everything-server.ts");
  // Copy then rename: processes starting it side by side never see a half-written file.
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  copyFileSync(FIXTURE_SOURCE, tmp);
  renameSync(tmp, file);
  const child = spawn(process.execPath, ["--import", "tsx", "--import", path.join(root, "test/report-listen-port.mjs"), file], {
    cwd: root,
    env: { ...process.env, PORT: "0" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the conformance fixture did not start: ${stderr}`)), o.timeoutMs ?? 60_000);
    child.stderr!.on("data", (b: Buffer) => {
      stderr += b.toString();
      const m = /LISTENING (\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the conformance fixture exited (${code}): ${stderr}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null || child.signalCode !== null) return r();
        child.once("exit", () => r());
        child.kill("SIGTERM");
      }),
  };
}
