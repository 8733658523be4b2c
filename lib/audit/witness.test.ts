import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverToWitness } from "@/lib/audit/witness";

// A real HTTP witness on 127.0.0.1 that refuses the first `failFirst` deliveries of each test.
const received: { body: string; type: string | undefined }[] = [];
let failFirst = 0;
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c: Buffer) => (body += c.toString("utf8")));
  req.on("end", () => {
    received.push({ body, type: req.headers["content-type"] });
    res.statusCode = failFirst-- > 0 ? 503 : 204;
    res.end();
  });
});
let url = "";
let dir = "";

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/checkpoints`;
  dir = await mkdtemp(path.join(tmpdir(), "lanyard-witness-"));
});
afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true });
});

describe("checkpoint witness", () => {
  it("appends one JWS a line to the file and POSTs it, retrying a failing URL", async () => {
    const file = path.join(dir, "a.jws");
    received.length = 0;
    failFirst = 2;
    expect(await deliverToWitness("h.p1.s", { url, file }, { baseDelayMs: 5 })).toEqual({ file: true, url: true });
    expect(await deliverToWitness("h.p2.s", { url, file }, { baseDelayMs: 5 })).toEqual({ file: true, url: true });
    expect(await readFile(file, "utf8")).toBe("h.p1.s\nh.p2.s\n");
    expect(received).toEqual([
      { body: "h.p1.s", type: "application/jose" },
      { body: "h.p1.s", type: "application/jose" },
      { body: "h.p1.s", type: "application/jose" },
      { body: "h.p2.s", type: "application/jose" },
    ]);
  });

  it("gives up after its attempts and never throws: the checkpoint stays in the database either way", async () => {
    received.length = 0;
    failFirst = 10;
    expect(await deliverToWitness("h.p3.s", { url, file: path.join(dir, "missing", "x.jws") }, { attempts: 3, baseDelayMs: 5 })).toEqual({ file: false, url: false });
    expect(received).toHaveLength(3);
    expect(await deliverToWitness("h.p4.s", {})).toEqual({});
  });
});
