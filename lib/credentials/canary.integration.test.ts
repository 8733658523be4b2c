import { randomBytes } from "node:crypto";
import { NextRequest } from "next/server";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { POST as completeRoute } from "@/app/api/v1/leases/[id]/complete/route";
import { GET as receiptRoute } from "@/app/api/v1/leases/[id]/receipt/route";
import { POST as releaseRoute } from "@/app/api/v1/credentials/release/route";
import { listAuditEvents } from "@/lib/audit/explore";
import { exportStream } from "@/lib/audit/export";
import { createConnection } from "@/lib/connections/connections";
import { ConnectionCreate } from "@/lib/connections/schemas";
import { createCredential, listCredentials, rotateCredential } from "@/lib/credentials/credentials";
import { CredentialCreate } from "@/lib/credentials/schemas";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { seedCatalog } from "@/prisma/seed";
import { ownerDb } from "@/test/owner-db";
import { seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";

const CALLS = 30;

const call = (handler: typeof releaseRoute, url: string, key: string, init: { method?: string; body?: unknown; params?: Record<string, string> } = {}) =>
  handler(
    new NextRequest(`http://localhost${url}`, {
      method: init.method ?? "POST",
      headers: { authorization: `Bearer ${key}`, ...(init.body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    }),
    { params: Promise.resolve(init.params ?? {}) },
  );

async function read(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

describe("canary: a released credential appears nowhere but in its release", () => {
  // Everything this process prints while the test runs.
  let printed: string[] = [];
  const originals = { out: process.stdout.write, err: process.stderr.write, log: console.log, error: console.error, warn: console.warn, info: console.info };
  beforeEach(() => {
    printed = [];
    const keep = (orig: (...a: never[]) => unknown) =>
      function (this: unknown, ...args: unknown[]) {
        printed.push(args.map((a) => (typeof a === "string" ? a : a instanceof Error ? `${a.message}\n${a.stack}` : JSON.stringify(a) ?? String(a))).join(" "));
        return (orig as (...a: unknown[]) => unknown).apply(this, args);
      };
    process.stdout.write = keep(originals.out as never) as typeof process.stdout.write;
    process.stderr.write = keep(originals.err as never) as typeof process.stderr.write;
    console.log = keep(originals.log as never);
    console.error = keep(originals.error as never);
    console.warn = keep(originals.warn as never);
    console.info = keep(originals.info as never);
  });
  afterEach(() => {
    process.stdout.write = originals.out;
    process.stderr.write = originals.err;
    Object.assign(console, { log: originals.log, error: originals.error, warn: originals.warn, info: originals.info });
  });

  it(`released ${CALLS} times (rotated half way): zero hits in other responses, errors, audit rows, export, receipt and output; the receipt names it`, async () => {
    const canary = `canary_${randomBytes(24).toString("hex")}`;
    const canary2 = `canary_${randomBytes(24).toString("hex")}`;
    await seedCatalog(db());
    const admin = await seedPerson(db(), { role: "admin" });
    const ep = await seedEnforcementPoint(db(), ["decisions:write", "credentials:use", "leases:complete", "connections:read"]);
    const con = await createConnection(db(), admin, ConnectionCreate.parse({ name: `canary-${randomBytes(3).toString("hex")}`, transport: { type: "http", url: "http://127.0.0.1:9/mcp" }, tools: [{ upstream: "read", tool: "repo.read" }], enforcementPointIds: [ep.actor.id] }));
    const responses: string[] = [];
    const cred = await createCredential(db(), admin, con.id, CredentialCreate.parse({ name: "CANARY_KEY", kind: "static", inject: { header: "X-Canary" }, tools: ["repo.read"], value: canary }));
    responses.push(JSON.stringify(cred));
    const { lease, leaseToken } = await seedLease(db(), { grants: [{ tool: "repo.read" }] });

    const released: string[] = [];
    for (let i = 0; i < CALLS; i++) {
      if (i === CALLS / 2) responses.push(JSON.stringify(await rotateCredential(db(), admin, con.id, cred.id, { value: canary2 })));
      const d = await decide(db(), ep.actor, { leaseToken, tool: "repo.read" });
      responses.push(JSON.stringify(d));
      const res = await call(releaseRoute, "/api/v1/credentials/release", ep.key, { body: { decisionId: d.decisionId } });
      expect(res.status).toBe(200);
      released.push(await res.text());
      // Refusals answer without it too: a replay, and a session start of a connection that has no env credential.
      responses.push(await (await call(releaseRoute, "/api/v1/credentials/release", ep.key, { body: { decisionId: d.decisionId } })).text());
    }
    responses.push(await (await call(releaseRoute, "/api/v1/credentials/release", ep.key, { body: { leaseToken, connectionId: con.id } })).text());
    // The releases themselves carry it: the check below would see a leak if there were one.
    expect(released.filter((r) => r.includes(canary))).toHaveLength(CALLS / 2);
    expect(released.filter((r) => r.includes(canary2))).toHaveLength(CALLS / 2);

    responses.push(JSON.stringify(await listCredentials(db(), con.id)));
    responses.push(await (await call(completeRoute, `/api/v1/leases/${lease.id}/complete`, ep.key, { body: { leaseToken }, params: { id: lease.id } })).text());
    const receipt = await (await call(receiptRoute, `/api/v1/leases/${lease.id}/receipt`, ep.key, { method: "GET", params: { id: lease.id } })).json();
    responses.push(JSON.stringify(receipt));
    responses.push(await (await call(receiptRoute, `/api/v1/leases/${lease.id}/receipt?format=jws`, ep.key, { method: "GET", params: { id: lease.id } })).text());
    expect(receipt.receipt.credentialsUsed).toEqual([{ name: "CANARY_KEY", connectionId: con.id, kind: "static", releases: CALLS }]);

    const stored = [
      ...(await ownerDb().$queryRaw<{ t: string }[]>`SELECT a::text AS t FROM audit_events a`).map((r) => r.t),
      ...(await ownerDb().$queryRaw<{ t: string }[]>`SELECT r::text AS t FROM receipts r`).map((r) => r.t),
      ...(await ownerDb().$queryRaw<{ t: string }[]>`SELECT c::text AS t FROM credentials c`).map((r) => r.t),
      ...(await ownerDb().$queryRaw<{ t: string }[]>`SELECT r::text AS t FROM credential_releases r`).map((r) => r.t),
    ];
    const exported = [await read(exportStream({ runId: lease.runId }, "jsonl")), await read(exportStream({ runId: lease.runId }, "csv")), JSON.stringify((await listAuditEvents(db(), { runId: lease.runId, limit: 500 })).events)];
    expect(exported[0]!.split("\n").filter((l) => l.includes('"credential.released"'))).toHaveLength(CALLS);

    const haystacks = { responses, stored, exported, printed };
    const hits = Object.entries(haystacks).flatMap(([where, texts]) => texts.filter((t) => t.includes(canary) || t.includes(canary2)).map((t) => `${where}: ${t.slice(0, 200)}`));
    expect(hits).toEqual([]);
    expect(stored.length).toBeGreaterThan(CALLS);
  });
});
