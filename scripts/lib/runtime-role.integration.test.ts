import { randomBytes } from "node:crypto";
import net from "node:net";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { provisionRuntimeLogin } from "./runtime-role";

// Roles are cluster-wide and lanyard_app's password belongs to the test setup: every case provisions a
// role of its own, made like the migration makes lanyard_app (NOLOGIN).
const ownerUrl = inject("ownerDatabaseUrl");
const suffix = randomBytes(4).toString("hex");
const roles: string[] = [];

async function sql(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function currentUser(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ u: string }>("select current_user as u")).rows[0]?.u;
  } finally {
    await client.end();
  }
}

function urlAs(user: string, password: string): string {
  const u = new URL(ownerUrl);
  u.username = user;
  u.password = password;
  return u.toString();
}

async function role(name: string, options = "NOLOGIN", by = ownerUrl): Promise<string> {
  const full = `${name}_${suffix}`;
  roles.push(full);
  await sql(by, `CREATE ROLE ${full} ${options}`);
  return full;
}

afterAll(async () => {
  for (const r of roles.reverse()) await sql(ownerUrl, `DROP ROLE IF EXISTS ${r}`).catch(() => {});
});

describe("npm start with a DATABASE_URL (issue 10, item 9)", () => {
  it("a URL that can manage roles gives the runtime role a login and the console connects as it; the next start reuses it", async () => {
    const app = await role("t_app");
    const password = randomBytes(12).toString("hex");
    const first = await provisionRuntimeLogin(ownerUrl, password, app);
    expect(first.url).toBeDefined();
    expect(await currentUser(first.url!)).toBe(app);
    expect(first.message).toMatch(new RegExp(`^the console connects as ${app}: DATABASE_URL can manage roles`));
    expect(first.message).not.toContain(password);

    const again = await provisionRuntimeLogin(ownerUrl, password, app);
    expect(again.url).toBe(first.url);
    expect(again.message).toMatch(/its login, with the password in the data folder/);
  });

  it("never sends the password itself to PostgreSQL, only its SCRAM verifier (statement logs keep ALTER ROLE as sent)", async () => {
    const app = await role("t_app_wire");
    const password = randomBytes(18).toString("base64url");
    // A real TCP pass-through that keeps what the client sends.
    const target = new URL(ownerUrl);
    const sent: Buffer[] = [];
    const conns = new Set<net.Socket>();
    const proxy = net.createServer((c) => {
      conns.add(c);
      const up = net.connect(Number(target.port || 5432), target.hostname);
      c.on("data", (d: Buffer) => sent.push(d)).pipe(up).pipe(c);
      c.on("error", () => up.destroy()).on("close", () => up.destroy());
      up.on("error", () => c.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const via = new URL(ownerUrl);
      via.hostname = "127.0.0.1";
      via.port = String((proxy.address() as net.AddressInfo).port);
      const login = await provisionRuntimeLogin(via.toString(), password, app);
      expect(login.url).toBeDefined();
      // The statement as PostgreSQL receives (and may log) it. (The embedded cluster's pg_hba asks for
      // the password itself at sign-in, so the rest of the stream is not what this test is about.)
      const wire = Buffer.concat(sent).toString("latin1");
      const at = wire.indexOf("ALTER ROLE");
      expect(at).toBeGreaterThanOrEqual(0);
      const statement = wire.slice(at, wire.indexOf("\0", at));
      expect(statement).toContain("PASSWORD 'SCRAM-SHA-256$4096:");
      expect(statement).not.toContain(password);
    } finally {
      for (const c of conns) c.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
    // The verifier opens for exactly that password.
    expect(await currentUser(urlAs(app, password))).toBe(app);
    await expect(currentUser(urlAs(app, `${password}x`))).rejects.toThrow();
  });

  it("a CREATEROLE owner (not a superuser) that created the role provisions it too", async () => {
    const ownerPassword = randomBytes(12).toString("hex");
    const creator = await role("t_creator", `LOGIN CREATEROLE PASSWORD '${ownerPassword}'`);
    const creatorUrl = urlAs(creator, ownerPassword);
    const app = `t_app2_${suffix}`;
    roles.push(app);
    await sql(creatorUrl, `CREATE ROLE ${app} NOLOGIN`);
    const login = await provisionRuntimeLogin(creatorUrl, randomBytes(12).toString("hex"), app);
    expect(login.url).toBeDefined();
    expect(await currentUser(login.url!)).toBe(app);
  });

  it("a URL that cannot alter roles keeps running as DATABASE_URL and says so", async () => {
    const app = await role("t_app3");
    const ownerPassword = randomBytes(12).toString("hex");
    const plain = await role("t_plain", `LOGIN NOCREATEROLE PASSWORD '${ownerPassword}'`);
    const login = await provisionRuntimeLogin(urlAs(plain, ownerPassword), randomBytes(12).toString("hex"), app);
    expect(login.url).toBeUndefined();
    expect(login.message).toBe(`${plain} cannot create or alter roles, so ${app} was not given a login: the console connects with DATABASE_URL as ${plain}; set LANYARD_APP_DATABASE_URL to a member of ${app} for least privilege`);
  });

  it("a role that already logs in with another password is left alone (another instance may be using it)", async () => {
    const theirs = randomBytes(12).toString("hex");
    const app = await role("t_app4", `LOGIN PASSWORD '${theirs}'`);
    const login = await provisionRuntimeLogin(ownerUrl, randomBytes(12).toString("hex"), app);
    expect(login.url).toBeUndefined();
    expect(login.message).toMatch(new RegExp(`^${app} already logs in with a password this data folder does not hold`));
    expect(await currentUser(urlAs(app, theirs))).toBe(app);
  });
});
