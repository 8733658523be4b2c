// The production server (spawned by scripts/start.ts): Next's request handler behind Lanyard's own HTTP
// server, which answers the enforcement-point hot path itself. One process, one port.
// Next's own server entry sets up its Node environment (AsyncLocalStorage on globalThis) before anything
// of Next is loaded; a custom server must too, before lib/ (which imports next/server) is evaluated.
import "next/dist/server/node-environment";
import path from "node:path";
import next from "next";
import { createLanyardServer } from "@/server/index";

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOSTNAME ?? "0.0.0.0";
const dir = path.resolve(import.meta.dirname, "..");

// LANYARD_CPU_PROFILE=<file>: a V8 CPU profile of this process, written at exit (bench:decisions uses it).
const profile = process.env.LANYARD_CPU_PROFILE ? await startProfile() : null;

const app = next({ dev: false, dir, hostname: host, port });
await app.prepare();
const handle = app.getRequestHandler();
const server = createLanyardServer({ fallback: (req, res) => handle(req, res) });
server.listen(port, host, () => process.stdout.write(`[lanyard] listening on ${host}:${port}\n`));

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  // Finish the requests in flight, then close the pools; never wait longer than the caller does.
  setTimeout(() => process.exit(0), 8_000).unref();
  server.close(() => void server.pool.end().then(() => profile?.()).finally(() => process.exit(0)));
  server.closeIdleConnections();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

async function startProfile(): Promise<() => Promise<void>> {
  const { Session } = await import("node:inspector/promises");
  const { writeFileSync } = await import("node:fs");
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  // SIGUSR2 starts a window (the profile so far is dropped); the next SIGUSR2 ends it and writes it.
  // bench:decisions profiles one scenario this way rather than the start-up.
  let state: "whole" | "window" | "written" = "whole";
  process.on("SIGUSR2", () => {
    const ending = state === "window";
    state = ending ? "written" : "window";
    void session.post("Profiler.stop").then(async ({ profile }) => {
      if (ending) writeFileSync(process.env.LANYARD_CPU_PROFILE!, JSON.stringify(profile));
      else await session.post("Profiler.start");
    });
  });
  return async () => {
    if (state === "written") return;
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(process.env.LANYARD_CPU_PROFILE!, JSON.stringify(profile));
  };
}
