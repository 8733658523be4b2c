import { existsSync } from "node:fs";
import path from "node:path";
import { defineConfig } from "prisma/config";

// Machines that cannot download Prisma's native schema engine use the offline stand-in beside the checkout.
const offlineEngine = path.resolve(import.meta.dirname, "../shared/tools/prisma-engine/schema-engine");
if (!process.env.PRISMA_SCHEMA_ENGINE_BINARY && existsSync(offlineEngine)) {
  process.env.PRISMA_SCHEMA_ENGINE_BINARY = offlineEngine;
}

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost/lanyard" },
});
