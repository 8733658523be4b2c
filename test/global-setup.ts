import { randomBytes } from "node:crypto";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { openDatabase, projectRoot } from "../scripts/lib/embedded-db";
import { migrate } from "../scripts/lib/migrate";
import { runtimeRoleUrl } from "../scripts/lib/runtime-role";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    ownerDatabaseUrl: string;
  }
}

/**
 * Integration tests run against a real PostgreSQL: DATABASE_URL when given (CI runs them a second
 * time on the machine's PostgreSQL 15), otherwise an embedded PostgreSQL 18 in .data/test. The code
 * under test connects as the application's own least-privileged role, as the console does; tests that
 * play a database superuser (tampering) use ownerDatabaseUrl.
 */
export default async function setup(project: TestProject) {
  const db = await openDatabase({
    // A folder and port of its own lets several checkouts (or people) run the suite side by side.
    dataDir: process.env.LANYARD_TEST_DATA_DIR ? path.resolve(process.env.LANYARD_TEST_DATA_DIR) : path.join(projectRoot, ".data", "test"),
    port: Number(process.env.LANYARD_TEST_PG_PORT ?? 25433),
    database: "lanyard_test",
  });
  migrate(db.url);
  project.provide("databaseUrl", await runtimeRoleUrl(db.url, randomBytes(18).toString("base64url")));
  project.provide("ownerDatabaseUrl", db.url);
  return async () => {
    await db.stop();
  };
}
