import { randomBytes } from "node:crypto";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "@/lib/generated/prisma/client";
import { db } from "@/lib/db";
import { newId } from "@/lib/ids";
import { deliverDue, signature } from "@/lib/webhooks/deliver";
import { encryptWebhookSecrets, isWrappedSecret, unwrapSecret, wrapSecret } from "@/lib/webhooks/secret";
import { createWebhook, listWebhooks } from "@/lib/webhooks/webhooks";
import { seedPerson } from "@/test/factories";

type Admin = Awaited<ReturnType<typeof seedPerson>>;
let admin: Admin;
const received: { path: string; body: string; sig: string; delivery: string }[] = [];
let server: http.Server;
let port = 0;
const hooks: string[] = [];

beforeAll(async () => {
  admin = await seedPerson(db(), { role: "admin" });
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c)).on("end", () => {
      received.push({ path: req.url ?? "", body, sig: String(req.headers["x-lanyard-signature"]), delivery: String(req.headers["x-lanyard-delivery"]) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  server.close();
  // Other test files' escalations are announced to every active webhook: leave none of ours active.
  await db().webhook.updateMany({ where: { id: { in: hooks } }, data: { active: false } });
});

/** Queues one delivery of our own to `webhookId`, and sends due deliveries (other files' too) until it has been attempted. */
async function deliverOne(webhookId: string) {
  const id = newId("dlv");
  await db().webhookDelivery.create({ data: { id, webhookId, event: "escalation.decided", payload: { event: "escalation.decided", data: { test: id } } } });
  for (let i = 0; i < 200; i++) {
    await deliverDue(db());
    const d = await db().webhookDelivery.findUniqueOrThrow({ where: { id } });
    if (d.attempts > 0) return d;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`delivery ${id} was never attempted`);
}

describe("webhook creation refuses internal addresses", () => {
  it.each([
    "http://127.0.0.1/hook",
    "http://127.1/hook",
    "http://2130706433/hook",
    "http://0x7f000001/hook",
    "http://017700000001/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/",
    "http://10.0.0.8/",
    "http://100.64.1.1/",
    "http://[fe80::1]/",
    "http://224.0.0.1/",
    "http://0.0.0.0/",
    "http://api.localhost/",
  ])("%s: 422 with an issue on url", async (url) => {
    await expect(createWebhook(db(), admin, { url, events: ["escalation.decided"] })).rejects.toMatchObject({ status: 422, issues: [{ path: ["url"] }] });
  });

  it("accepts a public https URL without resolving it (.invalid resolves nowhere)", async () => {
    const { webhook } = await createWebhook(db(), admin, { url: "https://hooks.example.invalid/lanyard", events: ["escalation.decided"] });
    hooks.push(webhook.id);
    expect(webhook.url).toBe("https://hooks.example.invalid/lanyard");
  });
});

describe("webhook secrets at rest", () => {
  it("stores the secret encrypted, never returns it from a list or a default query, and deliveries still verify", async () => {
    const { webhook, secret } = await createWebhook(db(), admin, { url: `http://localhost:${port}/signed`, events: ["escalation.decided"] });
    hooks.push(webhook.id);
    const [raw] = await db().$queryRaw<{ secret: string }[]>(Prisma.sql`SELECT "secret"::text AS "secret" FROM "webhooks" WHERE "id" = ${webhook.id}`);
    expect(raw!.secret).not.toContain(secret);
    expect(raw!.secret).not.toContain("whsec_");
    expect(JSON.parse(raw!.secret)).toMatchObject({ wrap: "A256GCM" });

    const listed = (await listWebhooks(db())).find((w) => w.id === webhook.id)!;
    expect(listed).toBeDefined();
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect(listed).not.toHaveProperty("secret");
    expect(await db().webhook.findUniqueOrThrow({ where: { id: webhook.id } })).not.toHaveProperty("secret");

    const d = await deliverOne(webhook.id);
    expect(d).toMatchObject({ status: "delivered", lastStatus: 204 });
    const got = received.find((r) => r.delivery === d.id)!;
    const t = Number(/t=(\d+)/.exec(got.sig)![1]);
    expect(got.sig).toBe(signature(secret, t, got.body));
  });

  it("encrypts a plaintext secret in place exactly once, audited, even with several runs at once", async () => {
    const id = newId("whk");
    const secret = `whsec_plaintext_${id}`;
    // As a version before encryption at rest left it (the migration turned the text into a JSON string).
    await db().$executeRaw(Prisma.sql`INSERT INTO "webhooks" ("id", "url", "secret", "events", "active") VALUES (${id}, ${`http://localhost:${port}/legacy`}, to_jsonb(${secret}::text), ${["escalation.decided"]}, true)`);
    hooks.push(id);
    await Promise.all([encryptWebhookSecrets(db()), encryptWebhookSecrets(db()), encryptWebhookSecrets(db())]);
    await encryptWebhookSecrets(db());
    const row = await db().webhook.findUniqueOrThrow({ where: { id }, omit: { secret: false } });
    expect(isWrappedSecret(row.secret)).toBe(true);
    expect(JSON.stringify(row.secret)).not.toContain(secret);
    expect(unwrapSecret(row.secret, id)).toBe(secret);
    expect(await db().auditEvent.count({ where: { action: "webhook.secret_encrypted", subjectId: id } })).toBe(1);
    // Bound to its webhook: the same ciphertext on another row does not open.
    expect(() => unwrapSecret(row.secret, newId("whk"))).toThrow(/does not decrypt/);
    const d = await deliverOne(id);
    expect(d.status).toBe("delivered");
    const got = received.find((r) => r.delivery === d.id)!;
    expect(got.sig).toBe(signature(secret, Number(/t=(\d+)/.exec(got.sig)![1]), got.body));
  });

  it("re-encrypts under a new key-encryption key while the old one is given, once; a secret neither key opens is left alone", async () => {
    const previous = randomBytes(32);
    const stranger = randomBytes(32);
    const make = async (under: Buffer) => {
      const id = newId("whk");
      await db().webhook.create({ data: { id, url: "https://hooks.example.invalid/rotated", secret: wrapSecret(`whsec_${id}`, id, under), events: ["escalation.decided"], active: false } });
      return id;
    };
    const rotated = await make(previous);
    const foreign = await make(stranger);
    const stored = async (id: string) => (await db().webhook.findUniqueOrThrow({ where: { id }, omit: { secret: false } })).secret;
    process.env.LANYARD_OLD_KEY_ENCRYPTION_KEY = previous.toString("base64");
    try {
      await Promise.all([encryptWebhookSecrets(db()), encryptWebhookSecrets(db())]);
    } finally {
      delete process.env.LANYARD_OLD_KEY_ENCRYPTION_KEY;
    }
    expect(unwrapSecret(await stored(rotated), rotated)).toBe(`whsec_${rotated}`);
    expect(await db().auditEvent.count({ where: { action: "webhook.secret_rewrapped", subjectId: rotated } })).toBe(1);
    expect(unwrapSecret(await stored(foreign), foreign, stranger)).toBe(`whsec_${foreign}`);
    expect(await db().auditEvent.count({ where: { action: "webhook.secret_rewrapped", subjectId: foreign } })).toBe(0);
  });
});

describe("webhook delivery re-checks the address", () => {
  // The allowed name ("localhost") to the same receiver is delivered in the tests above; a name resolving to
  // loopback that is not allowed is refused after resolution in address.test.ts.
  it("refuses a stored URL whose host is internal: no request is sent, the attempt fails and is retried later", async () => {
    // Stored directly, as a row from before the creation check (or edited in the database) would be.
    const id = newId("whk");
    await db().webhook.create({ data: { id, url: `http://127.0.0.1:${port}/internal`, secret: wrapSecret("whsec_x", id), events: ["escalation.decided"] } });
    hooks.push(id);
    const d = await deliverOne(id);
    expect(d).toMatchObject({ status: "pending", attempts: 1, lastStatus: null });
    expect(d.lastError).toMatch(/refused/);
    expect(d.lastError).not.toContain("127.0.0.1:"); // the error names no resolved address and no port
    expect(received.filter((r) => r.path === "/internal")).toEqual([]);
  });
});
