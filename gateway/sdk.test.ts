// The SDK's transport and outcome queue against a real HTTP server on 127.0.0.1 that answers like
// Lanyard's decision and outcome endpoints (the gateway's integration tests cover the real Lanyard).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLanyardClient, LanyardUnavailable, resultDigest } from "./sdk";

type Seen = { method: string; url: string; authorization?: string; body: unknown };
const seen: Seen[] = [];
let holdOutcomes: Promise<void> = Promise.resolve();
let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
      seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body });
      if (req.url!.endsWith("/outcome")) await holdOutcomes;
      if (req.url === "/api/v1/decisions" && (body as { tool: string }).tool === "broken") return void res.writeHead(503, { "content-type": "application/json" }).end('{"error":{"code":"unavailable"}}');
      res.writeHead(req.url!.endsWith("/outcome") ? 201 : 200, { "content-type": "application/json" });
      res.end(
        JSON.stringify(
          req.url === "/api/v1/decisions"
            ? { decision: "allow", decisionId: `dec_${seen.length}`, reasons: [], escalationId: null, lease: null }
            : { outcome: { ...(body as object), decisionId: "x", at: new Date().toISOString() } },
        ),
      );
    });
  });
  // Shorter than the client's idle-socket bound: the client must cope with the server closing idle sockets.
  server.keepAliveTimeout = 200;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe("the Lanyard client", () => {
  it("returns a guarded call's result without waiting for its outcome report, and flush() waits for the report", async () => {
    const client = createLanyardClient({ url, key: "lyd_ep_test" });
    let release!: () => void;
    holdOutcomes = new Promise<void>((r) => (release = r));
    const result = { content: [{ type: "text", text: "hi" }] };
    // Before: guard awaited the report, so with Lanyard slow to take it the result was held back too.
    const returned = await Promise.race([
      client.guard({ leaseToken: "t", tool: "repo.read" }, async () => result),
      new Promise<"held">((r) => setTimeout(() => r("held"), 2_000)),
    ]);
    expect(returned).toBe(result);
    expect(client.pendingOutcomes()).toBe(1);
    let flushed = false;
    const flushing = client.flush().then(() => (flushed = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(flushed).toBe(false);
    release();
    await flushing;
    expect(client.pendingOutcomes()).toBe(0);
    const report = seen.findLast((s) => s.url.endsWith("/outcome"))!;
    expect(report.authorization).toBe("Bearer lyd_ep_test");
    expect(report.body).toMatchObject({ status: "ok", resultDigest: resultDigest(result), durationMs: expect.any(Number) });
  });

  it("reports a thrown call as an error by class name, and still throws it", async () => {
    holdOutcomes = Promise.resolve();
    const client = createLanyardClient({ url, key: "k" });
    await expect(client.guard({ leaseToken: "t", tool: "repo.read" }, async () => Promise.reject(new TypeError("secret path /x")))).rejects.toThrow("secret path");
    await client.flush();
    expect(seen.findLast((s) => s.url.endsWith("/outcome"))!.body).toEqual({ status: "error", summary: "threw TypeError", durationMs: expect.any(Number) });
  });

  it("keeps sockets alive across calls and survives the server closing idle ones", async () => {
    const client = createLanyardClient({ url: `${url}/`, key: "k" });
    for (let i = 0; i < 3; i++) {
      expect((await client.decide({ leaseToken: "t", tool: "repo.read" })).decision).toBe("allow");
      await new Promise((r) => setTimeout(r, 300)); // past the server's keep-alive timeout
    }
    await expect(client.decide({ leaseToken: "t", tool: "broken" })).rejects.toBeInstanceOf(LanyardUnavailable);
  });

  it("fails closed when nothing listens: LanyardUnavailable, fn never runs", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const client = createLanyardClient({ url: `http://127.0.0.1:${port}`, key: "k" });
    let ran = false;
    await expect(client.guard({ leaseToken: "t", tool: "repo.read" }, async () => (ran = true))).rejects.toThrow(/unreachable/);
    expect(ran).toBe(false);
  });
});
