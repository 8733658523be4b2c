import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT, decodeJwt } from "jose";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as jwksRoute } from "@/app/.well-known/jwks.json/route";
import { POST as releaseRoute } from "@/app/api/v1/credentials/release/route";
import { toErrorResponse } from "@/lib/api/error-response";
import { createConnection } from "@/lib/connections/connections";
import { ConnectionCreate } from "@/lib/connections/schemas";
import { createCredential, listCredentials, retireCredential, rotateCredential } from "@/lib/credentials/credentials";
import { releaseCredentials } from "@/lib/credentials/release";
import { CredentialCreate } from "@/lib/credentials/schemas";
import { unseal } from "@/lib/credentials/secret";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { revokeLease } from "@/lib/leases/lifecycle";
import { keys } from "@/lib/tokens/keys";
import { verifyLeaseToken } from "@/lib/tokens/lease-token";
import { seedCatalog } from "@/prisma/seed";
import { ownerDb } from "@/test/owner-db";
import { seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";

const uniq = (p = "c") => `${p}-${Math.random().toString(36).slice(2, 10)}`;
const secretValue = () => `sk_live_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

/** A connection assigned to a fresh key (credentials:use + decisions:write), mapping repo.read and repo.commit. */
async function setup(scopes: ("decisions:write" | "credentials:use" | "connections:read")[] = ["decisions:write", "credentials:use"]) {
  await seedCatalog(db());
  const admin = await seedPerson(db(), { role: "admin" });
  const ep = await seedEnforcementPoint(db(), scopes);
  const con = await createConnection(
    db(),
    admin,
    ConnectionCreate.parse({
      name: uniq("con"),
      transport: { type: "http", url: "http://127.0.0.1:9/mcp" },
      tools: [{ upstream: "read_file", tool: "repo.read" }, { upstream: "commit", tool: "repo.commit" }],
      enforcementPointIds: [ep.actor.id],
    }),
  );
  return { admin, ep, con };
}

const release = (key: string, body: unknown) =>
  releaseRoute(new NextRequest("http://localhost/api/v1/credentials/release", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: JSON.stringify(body) }), { params: Promise.resolve({}) });

describe("credentials (admin)", () => {
  it("are stored encrypted under the KEK (the id as associated data), listed and audited without their value", async () => {
    const { admin, con } = await setup();
    const value = secretValue();
    const c = await createCredential(db(), admin, con.id, CredentialCreate.parse({ name: "GITHUB_TOKEN", kind: "static", inject: { header: "Authorization" }, tools: ["repo.read"], value }));
    expect(c).toMatchObject({ name: "GITHUB_TOKEN", kind: "static", inject: { header: "Authorization" }, tools: ["repo.read"], version: 1, retiredAt: null });
    expect(JSON.stringify(c)).not.toContain(value);
    // Omitted by default: the app's own client does not read the column unless asked by name.
    expect(await db().credential.findUniqueOrThrow({ where: { id: c.id } })).not.toHaveProperty("secret");
    const row = await ownerDb().credential.findUniqueOrThrow({ where: { id: c.id }, omit: { secret: false } });
    expect(JSON.stringify(row)).not.toContain(value);
    expect(unseal(row.secret, "credential", c.id)).toEqual({ value });
    expect(() => unseal(row.secret, "credential", "crd_other")).toThrow(/does not decrypt/);
    expect(JSON.stringify(await listCredentials(db(), con.id))).not.toContain(value);
    const events = await db().auditEvent.findMany({ where: { subjectId: c.id } });
    expect(events.map((e) => [e.action, e.actorId])).toEqual([["credential.created", admin.id]]);
    expect(events[0]!.payload).toMatchObject({ connectionId: con.id, name: "GITHUB_TOKEN", kind: "static" });
    expect(JSON.stringify(events, (_k, v) => (typeof v === "bigint" ? String(v) : v))).not.toContain(value);
  });

  it("refuse tools the connection does not map (422) and a name taken on the connection (409); a retired name is free again", async () => {
    const { admin, con } = await setup();
    const body = (over: Record<string, unknown> = {}) => CredentialCreate.parse({ name: "TOKEN", kind: "static", inject: { env: "TOKEN" }, tools: ["repo.read"], value: secretValue(), ...over });
    await expect(createCredential(db(), admin, con.id, body({ tools: ["production.deploy"] }))).rejects.toMatchObject({ status: 422, issues: [{ path: ["tools", 0] }] });
    await expect(createCredential(db(), admin, "con_missing", body())).rejects.toMatchObject({ status: 404 });
    const first = await createCredential(db(), admin, con.id, body());
    expect(toErrorResponse(await createCredential(db(), admin, con.id, body()).catch((e: unknown) => e)).status).toBe(409);
    await retireCredential(db(), admin, con.id, first.id);
    await expect(retireCredential(db(), admin, con.id, first.id)).rejects.toMatchObject({ status: 404 });
    expect((await createCredential(db(), admin, con.id, body())).name).toBe("TOKEN");
    expect(CredentialCreate.safeParse({ name: "x", kind: "obo", inject: { header: "Authorization" }, tools: ["repo.read"], audience: "lanyard" }).success).toBe(false);
    expect(CredentialCreate.safeParse({ name: "x", kind: "static", inject: { header: "X-Key" }, tools: ["repo.read"], value: "a\r\nInjected: 1" }).success).toBe(false);
  });
});

describe("POST /api/v1/credentials/release", () => {
  async function allowed() {
    const s = await setup();
    const value = secretValue();
    const cred = await createCredential(db(), s.admin, s.con.id, CredentialCreate.parse({ name: "API_KEY", kind: "static", inject: { header: "X-Api-Key" }, tools: ["repo.read"], value }));
    const { lease, leaseToken, admin } = await seedLease(db());
    const d = await decide(db(), s.ep.actor, { leaseToken, tool: "repo.read" });
    expect(d.decision).toBe("allow");
    return { ...s, value, cred, lease, leaseToken, leaseAdmin: admin, decisionId: d.decisionId };
  }

  it("releases the allowed call's credential to the deciding key, once, audited without the value; rotation applies at the next release", async () => {
    const a = await allowed();
    const res = await release(a.ep.key, { decisionId: a.decisionId });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ credentials: [{ name: "API_KEY", connectionId: a.con.id, kind: "static", inject: { header: "X-Api-Key" }, value: a.value, expiresAt: null }] });
    const replay = await release(a.ep.key, { decisionId: a.decisionId });
    expect(replay.status).toBe(409);
    expect(await replay.text()).not.toContain(a.value);
    const ev = await db().auditEvent.findFirstOrThrow({ where: { action: "credential.released", decisionId: a.decisionId } });
    expect(ev).toMatchObject({ actorType: "enforcement_point", actorId: a.ep.actor.id, leaseId: a.lease.id, runId: a.lease.runId, tool: "repo.read", subjectId: a.cred.id });
    expect(ev.payload).toMatchObject({ credential: "API_KEY", connectionId: a.con.id, mode: "decision" });
    expect(JSON.stringify(ev, (_k, v) => (typeof v === "bigint" ? String(v) : v))).not.toContain(a.value);

    const rotated = secretValue();
    await rotateCredential(db(), a.admin, a.con.id, a.cred.id, { value: rotated });
    const d2 = await decide(db(), a.ep.actor, { leaseToken: a.leaseToken, tool: "repo.read" });
    expect((await releaseCredentials(db(), a.ep.actor, { decisionId: d2.decisionId })).credentials.map((c) => c.value)).toEqual([rotated]);
    // A tool the credential does not serve gets nothing; a retired credential is released no more.
    const d3 = await decide(db(), a.ep.actor, { leaseToken: a.leaseToken, tool: "repo.commit", resource: { type: "branch", id: "agent/x" } });
    expect(d3.decision).toBe("allow");
    expect(await releaseCredentials(db(), a.ep.actor, { decisionId: d3.decisionId })).toEqual({ credentials: [] });
    await retireCredential(db(), a.admin, a.con.id, a.cred.id);
    const d4 = await decide(db(), a.ep.actor, { leaseToken: a.leaseToken, tool: "repo.read" });
    expect(await releaseCredentials(db(), a.ep.actor, { decisionId: d4.decisionId })).toEqual({ credentials: [] });
    const actions = (await db().auditEvent.findMany({ where: { subjectId: a.cred.id }, orderBy: { seq: "asc" } })).map((e) => e.action);
    expect(actions).toEqual(["credential.created", "credential.released", "credential.rotated", "credential.released", "credential.retired"]);
  });

  it("refuses: a key without credentials:use (403), another key's decision (403), a deny (403), past the window (409), a dead lease (409)", async () => {
    const a = await allowed();
    const noScope = await seedEnforcementPoint(db(), ["decisions:write", "connections:read"]);
    expect((await release(noScope.key, { decisionId: a.decisionId })).status).toBe(403);
    const other = await seedEnforcementPoint(db(), ["decisions:write", "credentials:use"]);
    const theirs = await release(other.key, { decisionId: a.decisionId });
    expect(theirs.status).toBe(403);
    expect((await theirs.json()).error.message).toMatch(/another enforcement point/);
    expect((await release(a.ep.key, { decisionId: "dec_nonesuch" })).status).toBe(404);

    const deny = await decide(db(), a.ep.actor, { leaseToken: a.leaseToken, tool: "secrets.read" });
    expect(deny.decision).toBe("deny");
    expect((await release(a.ep.key, { decisionId: deny.decisionId })).status).toBe(403);

    // Past the window: the decision is made 31 s older (no clock is moved).
    const late = await decide(db(), a.ep.actor, { leaseToken: a.leaseToken, tool: "repo.read" });
    await ownerDb().decision.update({ where: { id: late.decisionId }, data: { createdAt: new Date(Date.now() - 31_000) } });
    const lateRes = await release(a.ep.key, { decisionId: late.decisionId });
    expect(lateRes.status).toBe(409);
    expect((await lateRes.json()).error.message).toMatch(/release window/);
    // A replay after the window of a release made within it: refused, nothing released again.
    const once = await decide(db(), a.ep.actor, { leaseToken: a.leaseToken, tool: "repo.read" });
    expect((await release(a.ep.key, { decisionId: once.decisionId })).status).toBe(200);
    await ownerDb().decision.update({ where: { id: once.decisionId }, data: { createdAt: new Date(Date.now() - 31_000) } });
    const replayLate = await release(a.ep.key, { decisionId: once.decisionId });
    expect(replayLate.status).toBe(409);
    expect(await replayLate.text()).not.toContain(a.value);
    expect(await db().auditEvent.count({ where: { action: "credential.released", decisionId: once.decisionId } })).toBe(1);

    // Revoked after the allow, within the window: nothing more.
    const beforeRevoke = await decide(db(), a.ep.actor, { leaseToken: a.leaseToken, tool: "repo.read" });
    await revokeLease(db(), a.leaseAdmin, a.lease.id, "test");
    const dead = await release(a.ep.key, { decisionId: beforeRevoke.decisionId });
    expect(dead.status).toBe(409);
    expect((await dead.json()).error.message).toMatch(/revoked/);

    // Expired (its time is up, whether or not the expiry job marked it yet).
    const b = await allowed();
    await ownerDb().lease.update({ where: { id: b.lease.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await release(b.ep.key, { decisionId: b.decisionId })).status).toBe(409);
    expect(await db().auditEvent.count({ where: { action: "credential.released", leaseId: { in: [a.lease.id, b.lease.id] } } })).toBe(1); // the in-window release above
  });

  it("a revoke under way when the release starts is waited for, and then nothing is released (the lease is locked FOR SHARE)", async () => {
    const a = await allowed();
    let commitRevoke!: () => void;
    const go = new Promise<void>((ok) => (commitRevoke = ok));
    let locked!: () => void;
    const isLocked = new Promise<void>((ok) => (locked = ok));
    // A revocation in another session: the lease row locked FOR UPDATE, its status changed, not yet committed.
    const revoke = ownerDb().$transaction(
      async (t) => {
        await t.$queryRaw`SELECT "id" FROM "leases" WHERE "id" = ${a.lease.id} FOR UPDATE`;
        await t.lease.update({ where: { id: a.lease.id }, data: { status: "revoked", endedAt: new Date(), endedReason: "test" } });
        locked();
        await go;
      },
      { timeout: 30_000 },
    );
    await isLocked;
    const pending = release(a.ep.key, { decisionId: a.decisionId });
    // Poll until the release waits on that lock (no fixed sleep).
    for (let i = 0; i < 200; i++) {
      const [w] = await ownerDb().$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FROM "leases" WHERE "id" = ANY%FOR SHARE%'`;
      if (w!.n > 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    commitRevoke();
    await revoke;
    const res = await pending;
    expect(res.status).toBe(409);
    expect(await res.text()).not.toContain(a.value);
    expect(await db().auditEvent.count({ where: { action: "credential.released", decisionId: a.decisionId } })).toBe(0);
  });

  it("the allow that used a lease's last call still gets its credential; no call after it does", async () => {
    const s = await setup();
    const value = secretValue();
    await createCredential(db(), s.admin, s.con.id, CredentialCreate.parse({ name: "K", kind: "static", inject: { env: "K" }, tools: ["repo.read"], value }));
    const { leaseToken, lease } = await seedLease(db(), { maxToolCalls: 1 });
    const last = await decide(db(), s.ep.actor, { leaseToken, tool: "repo.read" });
    expect(last.decision).toBe("allow");
    expect((await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).status).toBe("exhausted");
    expect((await releaseCredentials(db(), s.ep.actor, { decisionId: last.decisionId })).credentials.map((c) => c.value)).toEqual([value]);
    const after = await decide(db(), s.ep.actor, { leaseToken, tool: "repo.read" });
    expect(after.decision).toBe("deny");
    expect((await release(s.ep.key, { decisionId: after.decisionId })).status).toBe(403);
    // Nor a session start: the lease is over.
    expect((await release(s.ep.key, { leaseToken, connectionId: s.con.id })).status).toBe(409);
  });

  it("session start: a stdio upstream's env credentials for a live lease token, on a connection assigned to the key", async () => {
    const s = await setup();
    const value = secretValue();
    await createCredential(db(), s.admin, s.con.id, CredentialCreate.parse({ name: "ENV_TOKEN", kind: "static", inject: { env: "ENV_TOKEN" }, tools: ["repo.read"], value }));
    await createCredential(db(), s.admin, s.con.id, CredentialCreate.parse({ name: "HDR", kind: "static", inject: { header: "X-Key" }, tools: ["repo.read"], value: secretValue() }));
    await createCredential(db(), s.admin, s.con.id, CredentialCreate.parse({ name: "UNGRANTED", kind: "static", inject: { env: "UNGRANTED" }, tools: ["repo.commit"], value: secretValue() }));
    const { leaseToken, lease, admin } = await seedLease(db(), { grants: [{ tool: "repo.read" }] });
    const res = await release(s.ep.key, { leaseToken, connectionId: s.con.id });
    expect(res.status).toBe(200);
    expect((await res.json()).credentials).toEqual([{ name: "ENV_TOKEN", connectionId: s.con.id, kind: "static", inject: { env: "ENV_TOKEN" }, value, expiresAt: null }]);
    expect(await db().auditEvent.findFirst({ where: { action: "credential.released", leaseId: lease.id }, select: { payload: true, decisionId: true } })).toMatchObject({ decisionId: null, payload: { mode: "session_start" } });
    const other = await seedEnforcementPoint(db(), ["credentials:use"]);
    expect((await release(other.key, { leaseToken, connectionId: s.con.id })).status).toBe(404);
    expect((await release(s.ep.key, { leaseToken: "garbage", connectionId: s.con.id })).status).toBe(403);
    await revokeLease(db(), admin, lease.id, "test");
    expect((await release(s.ep.key, { leaseToken, connectionId: s.con.id })).status).toBe(409);
  });
});

describe("on-behalf-of tokens", () => {
  let server: Server;
  let jwksUrl: URL;
  beforeAll(async () => {
    // The upstream's view: Lanyard's JWKS over real HTTP, as createRemoteJWKSet fetches it.
    server = createServer(async (_req, res) => {
      const r = await jwksRoute();
      res.writeHead(r.status, { "content-type": "application/json" }).end(await r.text());
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    jwksUrl = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`);
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it("are minted per allowed call in RFC 8693's shape, verify against the JWKS, and fail after expiry, for another audience, or signed by another key", async () => {
    const s = await setup();
    await createCredential(db(), s.admin, s.con.id, CredentialCreate.parse({ name: "OBO", kind: "obo", inject: { header: "Authorization" }, tools: ["repo.read"], audience: "https://upstream.example/mcp" }));
    const { lease, leaseToken, admin } = await seedLease(db());
    const d = await decide(db(), s.ep.actor, { leaseToken, tool: "repo.read" });
    const [c] = (await releaseCredentials(db(), s.ep.actor, { decisionId: d.decisionId })).credentials;
    expect(c!.value).toMatch(/^Bearer /);
    const token = c!.value.slice("Bearer ".length);
    const keySet = createRemoteJWKSet(jwksUrl);
    const { payload, protectedHeader } = await jwtVerify(token, keySet, { audience: "https://upstream.example/mcp", issuer: "lanyard", typ: "at+jwt" });
    expect(payload).toMatchObject({ sub: admin.email, act: { sub: lease.runId }, scope: "repo.read", lease_id: lease.id });
    expect(protectedHeader.typ).toBe("at+jwt");
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(300);
    expect(new Date(c!.expiresAt!).getTime()).toBe(payload.exp! * 1000);

    await expect(jwtVerify(token, keySet, { audience: "https://upstream.example/mcp", currentDate: new Date((payload.exp! + 1) * 1000) })).rejects.toMatchObject({ code: "ERR_JWT_EXPIRED" });
    await expect(jwtVerify(token, keySet, { audience: "https://other.example/mcp" })).rejects.toMatchObject({ code: "ERR_JWT_CLAIM_VALIDATION_FAILED" });
    const stranger = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const forged = await new SignJWT(decodeJwt(token)).setProtectedHeader(decodeProtectedHeader(token) as { alg: string }).sign(stranger.privateKey);
    await expect(jwtVerify(forged, keySet, { audience: "https://upstream.example/mcp" })).rejects.toMatchObject({ code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" });
    expect((await exportJWK(stranger.publicKey)).x).toBeDefined();

    // Never a lease token: refused by lease-token verification and by the decision path.
    expect(await verifyLeaseToken(db(), token)).toMatchObject({ ok: false, code: "token_invalid" });
    expect((await decide(db(), s.ep.actor, { leaseToken: token, tool: "repo.read" })).reasons[0]!.code).toBe("token_invalid");
    // Even one carrying every lease claim and the lease audience: the type alone tells them apart.
    const { signer } = await keys(db());
    const lookalike = await new SignJWT({ agt: lease.agentId })
      .setProtectedHeader({ alg: "EdDSA", kid: signer.kid, typ: "at+jwt" })
      .setIssuer("lanyard").setAudience("lanyard").setSubject(lease.runId).setJti(lease.id).setIssuedAt().setExpirationTime("5m")
      .sign(signer.privateKey);
    expect(await verifyLeaseToken(db(), lookalike)).toMatchObject({ ok: false, code: "token_invalid" });
    expect((await decide(db(), s.ep.actor, { leaseToken: lookalike, tool: "repo.read" })).decision).toBe("deny");
  });

  it("never outlive the lease", async () => {
    const s = await setup();
    await createCredential(db(), s.admin, s.con.id, CredentialCreate.parse({ name: "OBO", kind: "obo", inject: { env: "UPSTREAM_TOKEN" }, tools: ["repo.read"], audience: "upstream" }));
    const { lease, leaseToken } = await seedLease(db());
    const d = await decide(db(), s.ep.actor, { leaseToken, tool: "repo.read" });
    const soon = new Date(Date.now() + 60_000);
    await ownerDb().lease.update({ where: { id: lease.id }, data: { expiresAt: soon } });
    const [c] = (await releaseCredentials(db(), s.ep.actor, { decisionId: d.decisionId })).credentials;
    expect(c!.value).not.toMatch(/^Bearer /);
    expect(decodeJwt(c!.value).exp).toBe(Math.floor(soon.getTime() / 1000));
  });
});
