import path from "node:path";
import type { TestProject } from "vitest/node";
import { openDatabase, projectRoot } from "../scripts/lib/embedded-db";
import { migrate } from "../scripts/lib/migrate";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

/**
 * Integration tests run against a real PostgreSQL: DATABASE_URL when given (CI runs them a second
 * time on the machine's PostgreSQL 15), otherwise an embedded PostgreSQL 18 in .data/test.
 */
export default async function setup(project: TestProject) {
  const db = await openDatabase({
    dataDir: path.join(projectRoot, ".data", "test"),
    port: Number(process.env.LANYARD_TEST_PG_PORT ?? 54330),
    database: "lanyard_test",
  });
  migrate(db.url);
  project.provide("databaseUrl", db.url);
  return async () => {
    await db.stop();
  };
}
