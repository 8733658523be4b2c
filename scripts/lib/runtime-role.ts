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
    await client.query(`ALTER ROLE ${RUNTIME_ROLE} WITH LOGIN PASSWORD ${client.escapeLiteral(password)}`);
  } finally {
    await client.end();
  }
  const url = new URL(ownerUrl);
  url.username = RUNTIME_ROLE;
  url.password = encodeURIComponent(password);
  return url.toString();
}
