import { inject } from "vitest";

process.env.DATABASE_URL = inject("databaseUrl");
process.env.LANYARD_TEST_OWNER_DATABASE_URL = inject("ownerDatabaseUrl");
process.env.NEXTAUTH_SECRET ??= "integration-tests-secret-0123456789abcdef";
process.env.LANYARD_KEY_ENCRYPTION_KEY ??= Buffer.from("integration-tests-key-encryption").toString("base64"); // 32 bytes
process.env.LANYARD_DB_POOL_SIZE ??= "30";
// Webhook tests deliver to receivers on this machine, named "localhost"; every other internal address stays refused.
process.env.LANYARD_WEBHOOK_ALLOWED_HOSTS ??= "localhost";
// The connection tests start real stdio upstreams (server-filesystem) from the console's "Test it".
process.env.LANYARD_CONNECTION_TEST_STDIO ??= "1";
// The concurrency tests assert exactness (e.g. exactly 25 allows of 500), not latency: on a loaded
// 2-core machine, let queued calls wait for a connection rather than time out.
process.env.LANYARD_DB_POOL_WAIT_MS ??= "60000";
