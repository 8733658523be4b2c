import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isInternalAddress, resolveWebhookTarget, webhookUrlProblem, WebhookTargetRefused } from "@/lib/webhooks/address";
import { postPinned } from "@/lib/webhooks/send";

const none = new Set<string>();

describe("webhook URLs at creation", () => {
  it.each([
    "http://127.0.0.1/hook",
    "http://127.1/hook",
    "http://2130706433/hook",
    "http://0x7f000001/hook",
    "http://017700000001/hook",
    "http://0/hook",
    "http://0.0.0.0/hook",
    "http://[::]/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:a9fe:a9fe]/hook",
    "http://[64:ff9b::a9fe:a9fe]/hook",
    "http://[2002:7f00:1::]/hook",
    "http://[::ffff:0:7f00:1]/hook",
    "http://[::ffff:0:a9fe:a9fe]/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/",
    "http://[fe80::1]/",
    "https://10.0.0.5/",
    "https://172.16.3.4/",
    "https://172.31.255.255/",
    "https://192.168.1.1/",
    "https://100.64.0.1/",
    "https://100.127.255.254/",
    "https://224.0.0.251/",
    "https://[ff02::1]/",
    "https://255.255.255.255/",
    "http://localhost:8080/",
    "http://LOCALHOST./",
    "http://api.localhost/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "ftp://hooks.example.com/",
    "https://user:pw@hooks.example.com/",
  ])("refuses %s", (url) => {
    expect(webhookUrlProblem(url, none)).not.toBeNull();
  });

  it.each(["https://hooks.slack.com/services/T000/B000/XXX", "https://8.8.8.8/hook", "https://[2606:4700:4700::1111]/", "https://172.32.0.1/", "https://100.128.0.1/", "https://hooks.example.invalid/lanyard"])(
    "accepts %s (no DNS at creation)",
    (url) => {
      expect(webhookUrlProblem(url, none)).toBeNull();
    },
  );

  it("accepts an internal host only when it is allowed by name (in its normalised form)", () => {
    expect(webhookUrlProblem("http://chat-relay.internal.example/", new Set(["chat-relay.internal.example"]))).toBeNull();
    expect(webhookUrlProblem("http://10.1.2.3/", new Set(["10.1.2.3"]))).toBeNull();
    expect(webhookUrlProblem("http://10.1.2.4/", new Set(["10.1.2.3"]))).not.toBeNull();
  });

  it("classifies addresses", () => {
    for (const ip of ["127.0.0.1", "10.255.0.1", "169.254.169.254", "::1", "::ffff:10.0.0.1", "fd00:ec2::254", "fe80::abcd%eth0", "not-an-ip"]) expect(isInternalAddress(ip), ip).toBe(true);
    for (const ip of ["93.184.215.14", "2606:4700::6810:84e5", "::ffff:93.184.215.14"]) expect(isInternalAddress(ip), ip).toBe(false);
  });
});

describe("webhook targets at delivery", () => {
  it("refuses a name that resolves to loopback, unless the name is allowed", async () => {
    await expect(resolveWebhookTarget(new URL("http://localhost:9/hook"), none)).rejects.toBeInstanceOf(WebhookTargetRefused);
    const pinned = await resolveWebhookTarget(new URL("http://localhost:9/hook"), new Set(["localhost"]));
    expect(isInternalAddress(pinned.address)).toBe(true);
  });

  let hits: { host: string | undefined; url: string | undefined }[] = [];
  let server: http.Server;
  let port = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits.push({ host: req.headers.host, url: req.url });
      if (req.url === "/redirect") return res.writeHead(302, { location: `http://127.0.0.1:${port}/elsewhere` }).end();
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => server.close());

  it("connects to the pinned address, never to a fresh resolution of the name", async () => {
    hits = [];
    // rebind.invalid resolves nowhere: the request can only arrive through the pinned address.
    const status = await postPinned(new URL(`http://rebind.invalid:${port}/hook`), { address: "127.0.0.1", family: 4 }, "{}", { "content-type": "application/json" }, 5_000);
    expect(status).toBe(204);
    expect(hits).toEqual([{ host: `rebind.invalid:${port}`, url: "/hook" }]);
  });

  it("does not follow redirects", async () => {
    hits = [];
    const status = await postPinned(new URL(`http://localhost:${port}/redirect`), { address: "127.0.0.1", family: 4 }, "{}", {}, 5_000);
    // A client that followed would have answered with the 204 of /elsewhere.
    expect(status).toBe(302);
    expect(hits.map((h) => h.url)).toEqual(["/redirect"]);
  });
});
