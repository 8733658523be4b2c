// Runs the embedded PostgreSQL in the foreground for development (`npm run db`) and prints its URL.
import path from "node:path";
import { openDatabase, projectRoot } from "./lib/embedded-db";
import { migrate } from "./lib/migrate";

const dataDir = path.resolve(projectRoot, process.env.LANYARD_DATA_DIR ?? ".data");
const db = await openDatabase({ dataDir, port: Number(process.env.LANYARD_PG_PORT ?? 25432) }).catch((err: unknown) => {
  process.stderr.write(`[lanyard] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
migrate(db.url);
process.stdout.write(`DATABASE_URL=${db.url}\n`);
const stop = async () => {
  await db.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
setInterval(() => {}, 1 << 30);
