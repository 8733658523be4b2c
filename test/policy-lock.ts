import pg from "pg";
import { afterAll, beforeAll } from "vitest";

/**
 * The policy set is one per database: a publish replaces the whole text, so two test files publishing at
 * once can replace each other's policies between a publish and the decision that expects it (seen on the
 * PostgreSQL 15 pass). Files that publish call this at the top: each holds a session advisory lock for its
 * whole run, so they take turns while every other file still runs beside them.
 */
export function takeTurnsPublishingPolicies(): void {
  let client: pg.Client | undefined;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    await client.query("SELECT pg_advisory_lock(hashtext('lanyard.test.policies'))");
  }, 300_000);
  afterAll(async () => {
    await client?.end();
  });
}
