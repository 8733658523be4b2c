import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import pg from "pg";

/** The role the console and API run as (migration 20261123170000_runtime_role): no UPDATE/DELETE/TRUNCATE on the audit log. */
export const RUNTIME_ROLE = "lanyard_app";

/**
 * Lets lanyard_app log in with `password` (run as the schema's owner, after the migrations) and
 * returns `ownerUrl` with lanyard_app's credentials: the URL the application itself connects with.
 */
export async function runtimeRoleUrl(ownerUrl: string, password: string): Promise<string> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query(`ALTER ROLE ${RUNTIME_ROLE} WITH LOGIN PASSWORD ${client.escapeLiteral(scramVerifier(password))}`);
  } finally {
    await client.end();
  }
  const url = new URL(ownerUrl);
  url.username = RUNTIME_ROLE;
  url.password = encodeURIComponent(password);
  return url.toString();
}

/**
 * `password` as PostgreSQL's SCRAM-SHA-256 verifier (RFC 5802/7677, the form psql's \password sends):
 * ALTER ROLE … PASSWORD with the plaintext would put it in the server's statement log (log_statement
 * = ddl or all) and in its activity views; the verifier lets the role log in with it and no more.
 * Our passwords are base64url/hex, for which SASLprep changes nothing.
 */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  const hmac = (key: Buffer, text: string) => createHmac("sha256", key).update(text).digest();
  const storedKey = createHash("sha256").update(hmac(salted, "Client Key")).digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${hmac(salted, "Server Key").toString("base64")}`;
}

/** How the console will connect, and the one log line that says so. */
export type RuntimeLogin = { url: string | undefined; message: string };

/**
 * For an operator's DATABASE_URL: the console's least-privileged login, provisioned by `ownerUrl` when it
 * may manage roles. `role` logs in with `password` (kept in the data folder) if it already can; a role
 * without a login gets one; a role that already logs in with another password (another instance's, or
 * the operator's) is left alone, as is everything when `ownerUrl` cannot alter roles: then `url` is
 * undefined and the console keeps running as `ownerUrl`, which the message says.
 */
export async function provisionRuntimeLogin(ownerUrl: string, password: string, role = RUNTIME_ROLE): Promise<RuntimeLogin> {
  const url = new URL(ownerUrl);
  url.username = role;
  url.password = encodeURIComponent(password);
  const roleUrl = url.toString();
  const owner = decodeURIComponent(new URL(ownerUrl).username) || "(default user)";
  const fallback = `the console connects with DATABASE_URL as ${owner}; set LANYARD_APP_DATABASE_URL to a member of ${role} for least privilege`;

  const probe = new pg.Client({ connectionString: roleUrl });
  const already = await probe.connect().then(
    () => true,
    () => false,
  );
  await probe.end().catch(() => {});
  if (already) return { url: roleUrl, message: `the console connects as ${role} (its login, with the password in the data folder)` };

  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ rolcanlogin: boolean }>("select rolcanlogin from pg_roles where rolname = $1", [role]);
    if (!rows[0]) return { url: undefined, message: `the role ${role} does not exist (the migrations create it): ${fallback}` };
    // Changing its password would lock out whoever logs in with it now (e.g. another instance).
    if (rows[0].rolcanlogin) return { url: undefined, message: `${role} already logs in with a password this data folder does not hold: ${fallback}` };
    try {
      await client.query(`ALTER ROLE ${client.escapeIdentifier(role)} WITH LOGIN PASSWORD ${client.escapeLiteral(scramVerifier(password))}`);
    } catch (err) {
      if ((err as { code?: string }).code !== "42501") throw err;
      return { url: undefined, message: `${owner} cannot create or alter roles, so ${role} was not given a login: ${fallback}` };
    }
  } finally {
    await client.end();
  }
  return { url: roleUrl, message: `the console connects as ${role}: DATABASE_URL can manage roles, so ${role} was given a login (password kept in the data folder)` };
}
