import { inject } from "vitest";

process.env.DATABASE_URL = inject("databaseUrl");
process.env.NEXTAUTH_SECRET ??= "integration-tests-secret-0123456789abcdef";
process.env.LANYARD_DB_POOL_SIZE ??= "30";
