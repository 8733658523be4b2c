import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createConnection } from "@/lib/connections/connections";
import { ConnectionCreate } from "@/lib/connections/schemas";
import { createCredential } from "@/lib/credentials/credentials";
import { dropEndedDynamicLogins } from "@/lib/credentials/postgres-dynamic";
import { releaseCredentials } from "@/lib/credentials/release";
import { CredentialCreate } from "@/lib/credentials/schemas";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { completeLease, revokeLease } from "@/lib/leases/lifecycle";
import { seedCatalog } from "@/prisma/seed";
import { ownerDb } from "@/test/owner-db";
import { seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";

// The test PostgreSQL's owner (a superuser) plays the upstream database's admin; a group role of this
// file's own may read one table of its own.
const tag = randomBytes(4).toString("hex");
const group = `vault_readers_${tag}`;
const table = `vault_rows_${tag}`;
const adminUrl = () => inject("ownerDatabaseUrl");

async function admin<T>(f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl() });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}
const roleExists = (name: string) => admin(async (c) => ((await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [name])).rowCount ?? 0) > 0);

beforeAll(async () => {
  await admin(async (c) => {
    await c.query(`CREATE ROLE ${group} NOLOGIN`);
    await c.query(`CREATE TABLE ${table} (v text)`);
    await c.query(`INSERT INTO ${table} VALUES ('hello')`);
    await c.query(`GRANT SELECT ON ${table} TO ${group}`);
  });
});
afterAll(async () => {
  await admin(async (c) => {
    await c.query(`DROP TABLE IF EXISTS ${table}`);
    await c.query(`DROP ROLE IF EXISTS ${group}`);
  });
});

async function setup() {
  await seedCatalog(db());
  const person = await seedPerson(db(), { role: "admin" });
  const ep = await seedEnforcementPoint(db(), ["decisions:write", "credentials:use"]);
  const con = await createConnection(
    db(),
    person,
    ConnectionCreate.parse({ name: `pg-${randomBytes(4).toString("hex")}`, transport: { type: "stdio", command: "npx", args: ["@modelcontextprotocol/server-postgres"] }, tools: [{ upstream: "query", tool: "repo.read" }], enforcementPointIds: [ep.actor.id] }),
  );
  const database = new URL(adminUrl()).pathname.slice(1);
  const cred = await createCredential(db(), person, con.id, CredentialCreate.parse({ name: "DATABASE_URL", kind: "postgres-dynamic", inject: { env: "DATABASE_URL" }, tools: ["repo.read"], adminUrl: adminUrl(), groupRole: group, database }));
  const lease = await seedLease(db(), { grants: [{ tool: "repo.read" }] });
  const start = () => releaseCredentials(db(), ep.actor, { leaseToken: lease.leaseToken, connectionId: con.id });
  return { ep, con, cred, ...lease, start };
}

const loginOf = async (leaseId: string) => (await db().dynamicLogin.findFirstOrThrow({ where: { leaseId } })).roleName;

describe("postgres-dynamic credentials", () => {
  it("make one login per lease (even when released concurrently) that can log in and query, VALID UNTIL the lease's expiry; dropped on completion", async () => {
    const s = await setup();
    const released = await Promise.all([s.start(), s.start(), s.start()]);
    const urls = released.map((r) => r.credentials[0]!.value);
    expect(new Set(urls).size).toBe(1);
    expect(released[0]!.credentials[0]).toMatchObject({ name: "DATABASE_URL", kind: "postgres-dynamic", inject: { env: "DATABASE_URL" }, expiresAt: s.lease.expiresAt });
    expect(await db().dynamicLogin.count({ where: { leaseId: s.lease.id } })).toBe(1);
    const role = await loginOf(s.lease.id);
    expect(role).toMatch(/^lanyard_dyn_[a-z0-9]{16}$/);
    expect(new URL(urls[0]!).username).toBe(role);
    // A per-call release of the same lease hands out the same login.
    const d = await decide(db(), s.ep.actor, { leaseToken: s.leaseToken, tool: "repo.read" });
    expect((await releaseCredentials(db(), s.ep.actor, { decisionId: d.decisionId })).credentials[0]!.value).toBe(urls[0]);

    const row = await admin(async (c) => (await c.query("SELECT rolvaliduntil, rolcanlogin FROM pg_roles WHERE rolname = $1", [role])).rows[0]);
    expect(row.rolcanlogin).toBe(true);
    expect(new Date(row.rolvaliduntil).toISOString()).toBe(s.lease.expiresAt);
    const client = new pg.Client({ connectionString: urls[0] });
    await client.connect();
    expect((await client.query(`SELECT v, current_user AS who FROM ${table}`)).rows).toEqual([{ v: "hello", who: role }]);
    await client.end();
    // Nothing secret in the audit log: the role's name only.
    const ev = await db().auditEvent.findFirstOrThrow({ where: { action: "credential.released", leaseId: s.lease.id } });
    expect(ev.payload).toMatchObject({ dynamicLogin: role });
    expect(JSON.stringify(await ownerDb().$queryRaw`SELECT a::text FROM audit_events a WHERE "leaseId" = ${s.lease.id}`)).not.toContain(new URL(urls[0]!).password);

    await completeLease(db(), s.ep.actor, s.lease.id, s.leaseToken);
    expect(await roleExists(role)).toBe(false);
    expect(await db().dynamicLogin.findFirstOrThrow({ where: { leaseId: s.lease.id } })).toMatchObject({ droppedAt: expect.any(Date) });
    expect(await db().auditEvent.count({ where: { action: "credential.login_dropped", leaseId: s.lease.id } })).toBe(1);
  });

  it("on revoke, the role is dropped and its open session terminated; nothing more is released", async () => {
    const s = await setup();
    const url = (await s.start()).credentials[0]!.value;
    const role = await loginOf(s.lease.id);
    const open = new pg.Client({ connectionString: url });
    open.on("error", () => {});
    await open.connect();
    expect((await open.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    await revokeLease(db(), s.admin, s.lease.id, "test");
    expect(await roleExists(role)).toBe(false);
    await expect(open.query("SELECT 1")).rejects.toThrow();
    await open.end().catch(() => {});
    await expect(s.start()).rejects.toMatchObject({ status: 409 });
    // The login cannot come back: a fresh connection is refused.
    const again = new pg.Client({ connectionString: url });
    await expect(again.connect()).rejects.toThrow();
  });

  it("on expiry, the job drops the role even before the lease is marked expired", async () => {
    const s = await setup();
    await s.start();
    const role = await loginOf(s.lease.id);
    expect(await dropEndedDynamicLogins(db(), { leaseIds: [s.lease.id] })).toEqual({ dropped: 0, failed: 0 });
    expect(await roleExists(role)).toBe(true);
    await ownerDb().lease.update({ where: { id: s.lease.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await dropEndedDynamicLogins(db(), { leaseIds: [s.lease.id] })).toEqual({ dropped: 1, failed: 0 });
    expect(await roleExists(role)).toBe(false);
    expect(await dropEndedDynamicLogins(db(), { leaseIds: [s.lease.id] })).toEqual({ dropped: 0, failed: 0 });
  });
});
