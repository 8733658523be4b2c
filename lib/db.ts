import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "@/lib/generated/prisma/client";
import { env } from "@/lib/env";

function createClient(url: string, max = env().LANYARD_DB_POOL_SIZE) {
  return new PrismaClient({
    // connectionTimeoutMillis also bounds the wait for a free pooled connection under load; an unreachable
    // database still fails at once (ECONNREFUSED). Either way the answer is 503 and callers fail closed.
    adapter: new PrismaPg({ connectionString: url, max, connectionTimeoutMillis: env().LANYARD_DB_POOL_WAIT_MS }),
    // Secret columns are never read unless a query asks for them by name.
    omit: { user: { passwordHash: true }, signingKey: { privateJwk: true }, webhook: { secret: true }, credential: { secret: true }, dynamicLogin: { secret: true } },
  });
}

export type Db = ReturnType<typeof createClient>;
/** A transaction handle: every mutation in lib/ takes one so that its audit event commits with it. */
export type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

const globalForDb = globalThis as unknown as { lanyardDb?: Db };

/** The one Prisma client of this process. */
export function db(): Db {
  globalForDb.lanyardDb ??= createClient(env().DATABASE_URL);
  return globalForDb.lanyardDb;
}

const globalForJobs = globalThis as unknown as { lanyardJobsDb?: Db };

/**
 * The client of background jobs (sealer, expiry, webhooks, receipts), with a small pool of its own
 * (LANYARD_JOBS_POOL_SIZE): a burst of requests cannot starve the jobs of connections, nor the jobs
 * the requests.
 */
export function jobsDb(): Db {
  globalForJobs.lanyardJobsDb ??= createClient(env().DATABASE_URL, env().LANYARD_JOBS_POOL_SIZE);
  return globalForJobs.lanyardJobsDb;
}

const globalForBulk = globalThis as unknown as { lanyardBulkPool?: pg.Pool };

/**
 * A small pool for bulk reads that stream many rows as text (audit exports). Prisma turns every row
 * into an object of typed values, which cost most of an export's time; these reads take the text
 * PostgreSQL sends as is. Idle connections close, and the pool never holds a process open.
 */
export function bulkPool(): pg.Pool {
  globalForBulk.lanyardBulkPool ??= new pg.Pool({ connectionString: env().DATABASE_URL, max: 2, idleTimeoutMillis: 10_000, allowExitOnIdle: true, connectionTimeoutMillis: env().LANYARD_DB_POOL_WAIT_MS });
  // An idle connection the server drops (restart, failover) must not crash the process.
  if (!globalForBulk.lanyardBulkPool.listenerCount("error")) globalForBulk.lanyardBulkPool.on("error", () => {});
  return globalForBulk.lanyardBulkPool;
}
