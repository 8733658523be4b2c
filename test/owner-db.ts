import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@/lib/generated/prisma/client";
import type { Db } from "@/lib/db";

let owner: Db | undefined;

/**
 * A client connected as the schema's owner (a superuser in the test database): what an attacker with
 * database access would use. The code under test connects as lanyard_app (test/global-setup.ts).
 */
export function ownerDb(): Db {
  owner ??= new PrismaClient({ adapter: new PrismaPg({ connectionString: process.env.LANYARD_TEST_OWNER_DATABASE_URL!, max: 2 }) }) as unknown as Db;
  return owner;
}
