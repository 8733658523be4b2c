// A path that does not percent-decode gets the documented JSON 400 from our server, before Next
// (whose router answers it with a text/plain 500) or any route sees it.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopListening } from "@/lib/events/bus";
import { createHotPool, createLanyardServer } from "@/server/index";

let server: ReturnType<typeof createLanyardServer>;
let port: number;
let fallbackCalls = 0;
beforeAll(async () => {
  server = createLanyardServer({
    fallback: (_req, res) => {
      fallbackCalls++;
      res.writeHead(299, { "content-type": "text/plain" }).end("next");
    },
    pool: createHotPool({ max: 1 }),
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((r) => (server.closeAllConnections(), server.close(() => void server.pool.end().finally(r))));
  await stopListening();
});

// fetch would normalise the path; a raw request sends it as written, as an attacker's client would.
const raw = (path: string, headers: Record<string, string> = {}) =>
  new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c) => (body += c)).on("end", () => resolve({ status: res.statusCode!, type: String(res.headers["content-type"]), body }));
    });
    req.on("error", reject).end();
  });

describe("malformed percent-encoding in the path", () => {
  it.each(["/api/v1/agents/%", "/api/v1/leases/%zz/receipt", "/audit/%E0%A4%A", "/api/v1/escalations/%"])("%s → 400 invalid_request in JSON, unauthenticated or not", async (path) => {
    const before = fallbackCalls;
    for (const headers of [{}, { authorization: "Bearer lyd_ep_x" }] as Record<string, string>[]) {
      const res = await raw(path, headers);
      expect(res.status).toBe(400);
      expect(res.type).toMatch(/application\/json/);
      expect(JSON.parse(res.body).error.code).toBe("invalid_request");
    }
    expect(fallbackCalls).toBe(before);
  });

  it("a well-formed escape (%25) still reaches Next", async () => {
    expect((await raw("/api/v1/agents/%25")).status).toBe(299);
  });
});
