import { randomBytes } from "node:crypto";
import pg from "pg";
import { Prisma } from "@/lib/generated/prisma/client";
import { appendAudit } from "@/lib/audit/append";
import { now } from "@/lib/clock";
import type { Db, Tx } from "@/lib/db";
import { newId } from "@/lib/ids";
import { seal, unseal } from "@/lib/credentials/secret";
import { scramVerifier } from "@/scripts/lib/runtime-role";

/**
 * Dynamic PostgreSQL logins, as Vault's database secrets engine makes them but tied to a lease: one
 * login role per lease and credential, `VALID UNTIL` the lease's expiry, a member of the configured group
 * role, with a random password; dropped (its sessions terminated first) once the lease has ended for any
 * reason, by dropEndedDynamicLogins (a job, and right after a revoke or a completion).
 */
export type DynamicCredential = { id: string; adminUrl: string; groupRole: string; database: string };

const CONNECT_TIMEOUT_MS = 5_000;

async function withAdmin<T>(adminUrl: string, f: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, statement_timeout: 10_000 });
  // An error event on an idle client must not crash the process.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (err) {
    // Never the URL (it holds the admin's password): only what went wrong.
    throw new Error(`the admin connection of a postgres-dynamic credential failed: ${describe(err)}`);
  }
  try {
    return await f(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** A driver or server error in words that cannot carry a URL or password: its SQLSTATE or errno, and PostgreSQL's own message. */
function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === "string" ? e.code : "error";
  // PostgreSQL's messages name roles and objects, never passwords; a network error's message names the host only.
  const msg = typeof e?.message === "string" ? e.message.replace(/\b\w+:\/\/\S+/g, "<url>") : "";
  return `${code} ${msg}`.trim();
}

function loginUrl(adminUrl: string, role: string, password: string, database: string): string {
  const u = new URL(adminUrl);
  u.username = role;
  u.password = password;
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * The login of `lease` for credential `c`, made on first use: the unique (lease, credential) row is
 * inserted first, in the caller's transaction, so a concurrent second release waits for it and then
 * finds it; the role is created before that transaction commits (if the commit then fails, the role
 * outlives nothing: its password stops working at the lease's expiry).
 */
export async function ensureDynamicLogin(tx: Tx, c: DynamicCredential, lease: { id: string; expiresAt: Date }): Promise<{ url: string; roleName: string; created: boolean }> {
  const id = newId("dyn");
  const roleName = `lanyard_dyn_${id.slice(4, 20)}`;
  const password = randomBytes(24).toString("base64url");
  const inserted = await tx.$queryRaw<{ id: string }[]>(Prisma.sql`
    INSERT INTO "dynamic_logins" ("id", "leaseId", "credentialId", "roleName", "secret", "database", "validUntil")
    VALUES (${id}, ${lease.id}, ${c.id}, ${roleName}, ${JSON.stringify(seal({ password, adminUrl: c.adminUrl }, "dynamic-login", id))}::jsonb, ${c.database}, ${lease.expiresAt})
    ON CONFLICT ("leaseId", "credentialId") DO NOTHING RETURNING "id"`);
  if (inserted.length) {
    await withAdmin(c.adminUrl, async (client) => {
      // The SCRAM verifier, not the password: ALTER/CREATE ROLE … PASSWORD lands in statement logs.
      await client.query(
        `CREATE ROLE ${client.escapeIdentifier(roleName)} LOGIN PASSWORD ${client.escapeLiteral(scramVerifier(password))} VALID UNTIL ${client.escapeLiteral(lease.expiresAt.toISOString())} IN ROLE ${client.escapeIdentifier(c.groupRole)}`,
      ).catch((err: unknown) => {
        throw new Error(`creating the dynamic login ${roleName} failed: ${describe(err)}`);
      });
    });
    return { url: loginUrl(c.adminUrl, roleName, password, c.database), roleName, created: true };
  }
  const row = await tx.dynamicLogin.findUniqueOrThrow({ where: { leaseId_credentialId: { leaseId: lease.id, credentialId: c.id } }, omit: { secret: false } });
  if (row.droppedAt || !row.secret) throw new Error(`the dynamic login ${row.roleName} of lease ${lease.id} was dropped`);
  const m = unseal(row.secret, "dynamic-login", row.id);
  return { url: loginUrl(m.adminUrl!, row.roleName, m.password!, row.database), roleName: row.roleName, created: false };
}

/** Stops new sessions, terminates open ones, and drops the role (objects it owns go to the admin, then away). Idempotent. */
async function dropRole(adminUrl: string, roleName: string): Promise<number> {
  return withAdmin(adminUrl, async (client) => {
    const role = client.escapeIdentifier(roleName);
    const exists = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [roleName]);
    if (!exists.rowCount) return 0;
    await client.query(`ALTER ROLE ${role} NOLOGIN`);
    const t = await client.query<{ ok: boolean }>("SELECT pg_terminate_backend(pid, 5000) AS ok FROM pg_stat_activity WHERE usename = $1", [roleName]);
    if (t.rows.some((r) => !r.ok)) throw new Error(`a session of ${roleName} did not end`);
    // Needs the admin to hold the role's privileges (it created it); where it does not, DROP ROLE says what is left.
    await client.query(`REASSIGN OWNED BY ${role} TO CURRENT_USER`).catch(() => {});
    await client.query(`DROP OWNED BY ${role}`).catch(() => {});
    await client.query(`DROP ROLE IF EXISTS ${role}`);
    return t.rowCount ?? 0;
  }).catch((err: unknown) => {
    throw new Error(`dropping the dynamic login ${roleName} failed: ${err instanceof Error && err.message.startsWith("the admin connection") ? err.message : describe(err)}`);
  });
}

const BATCH = 20;

/**
 * Drops the dynamic login of every lease that has ended — completed, revoked (with its cascades, a
 * suspended agent, a disabled delegator), exhausted, denied — or whose time is up, whether or not the
 * expiry job has marked it yet: one query over the leases' state covers every path that ends a lease.
 * Each login in a transaction of its own, row-locked (SKIP LOCKED), so instances share the work and a
 * failure (an unreachable database) leaves that login for the next turn. `leaseIds` narrows the search
 * (the fast path after a revoke or a completion).
 */
export async function dropEndedDynamicLogins(db: Db, opts: { leaseIds?: string[] } = {}): Promise<{ dropped: number; failed: number }> {
  const at = now();
  const narrow = opts.leaseIds ? Prisma.sql`AND (l."id" = ANY(${opts.leaseIds}::text[]) OR l."ancestorIds" && ${opts.leaseIds}::text[])` : Prisma.empty;
  const due = await db.$queryRaw<{ id: string }[]>(Prisma.sql`
    SELECT d."id" FROM "dynamic_logins" d JOIN "leases" l ON l."id" = d."leaseId"
    WHERE d."droppedAt" IS NULL AND (l."status" <> 'active' OR l."expiresAt" <= ${at}) ${narrow}
    ORDER BY d."createdAt" LIMIT ${BATCH}`);
  let dropped = 0;
  let failed = 0;
  for (const { id } of due) {
    try {
      if (await dropOne(db, id)) dropped++;
    } catch (err) {
      failed++;
      console.error(`[lanyard] dynamic logins: ${err instanceof Error ? err.message : "failed"}`);
    }
  }
  return { dropped, failed };
}

async function dropOne(db: Db, id: string): Promise<boolean> {
  return db.$transaction(
    async (tx) => {
      const rows = await tx.$queryRaw<{ id: string; leaseId: string; credentialId: string; roleName: string; secret: unknown }[]>(Prisma.sql`
        SELECT "id", "leaseId", "credentialId", "roleName", "secret" FROM "dynamic_logins" WHERE "id" = ${id} AND "droppedAt" IS NULL FOR UPDATE SKIP LOCKED`);
      const d = rows[0];
      if (!d) return false;
      const m = unseal(d.secret, "dynamic-login", d.id);
      const terminated = await dropRole(m.adminUrl!, d.roleName);
      await tx.dynamicLogin.update({ where: { id }, data: { droppedAt: now(), secret: Prisma.DbNull } });
      const lease = await tx.lease.findUnique({ where: { id: d.leaseId }, select: { runId: true, agentId: true, status: true } });
      await appendAudit(tx, {
        action: "credential.login_dropped",
        actor: { type: "system", label: "dynamic logins" },
        subject: { type: "dynamic_login", id },
        leaseId: d.leaseId,
        runId: lease?.runId ?? null,
        agentId: lease?.agentId ?? null,
        payload: { roleName: d.roleName, credentialId: d.credentialId, leaseStatus: lease?.status ?? null, sessionsTerminated: terminated },
      });
      return true;
    },
    { timeout: 30_000 },
  );
}
