import { spawnSync } from "node:child_process";
import path from "node:path";
import { projectRoot } from "./embedded-db";

/** Applies every pending migration with `prisma migrate deploy` (the same migrations on every server). */
export function migrate(url: string): void {
  const prisma = path.join(projectRoot, "node_modules/prisma/build/index.js");
  const res = spawnSync(process.execPath, [prisma, "migrate", "deploy"], {
    cwd: projectRoot,
    env: { ...process.env, DATABASE_URL: url },
    encoding: "utf8",
  });
  if (res.status !== 0) {
    throw new Error(`prisma migrate deploy failed:\n${res.stdout}\n${res.stderr}`);
  }
}
