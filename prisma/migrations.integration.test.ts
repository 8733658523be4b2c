// Fails when prisma/schema.prisma changed without a migration: the migrations, replayed into a
// temporary shadow database on the test server, must produce exactly the schema.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");
const prismaCli = path.join(root, "node_modules/prisma/build/index.js");

/** `prisma migrate diff --from-migrations … --to-schema … --exit-code`: 0 = in step, 2 = drift. */
function migrateDiff(schema: string) {
  const res = spawnSync(process.execPath, [prismaCli, "migrate", "diff", "--from-migrations", "prisma/migrations", "--to-schema", schema, "--exit-code"], {
    cwd: root,
    // The test server hosts the shadow database; creating it takes the owner, not the application's role.
    env: { ...process.env, DATABASE_URL: process.env.LANYARD_TEST_OWNER_DATABASE_URL },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: res.status, output: `${res.stdout}\n${res.stderr}` };
}

describe("migrations", () => {
  const tmp = mkdtempSync(path.join(tmpdir(), "lanyard-schema-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("prisma/schema.prisma has a migration for every change", () => {
    const { status, output } = migrateDiff("prisma/schema.prisma");
    expect(status, `schema.prisma differs from prisma/migrations — add a migration:\n${output}`).toBe(0);
    expect(output).toContain("No difference detected");
  });

  it("the check notices a schema change that has no migration", () => {
    const changed = path.join(tmp, "schema.prisma");
    writeFileSync(changed, `${readFileSync(path.join(root, "prisma/schema.prisma"), "utf8")}\nmodel DriftProbe {\n  id String @id\n}\n`);
    const { status, output } = migrateDiff(changed);
    expect(status, output).toBe(2);
    expect(output).toMatch(/DriftProbe/);
  });
});
