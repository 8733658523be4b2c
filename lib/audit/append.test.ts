import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AUDIT_ACTIONS, AUDIT_COLUMNS, auditRow } from "@/lib/audit/append";

const root = path.resolve(import.meta.dirname, "../..");

/** The product's source files (tests, generated code, benchmarks and migrations aside). */
function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((f) => f.isFile() && /\.tsx?$/.test(f.name) && !/\.test\.tsx?$/.test(f.name))
    .map((f) => path.relative(root, path.join(f.parentPath, f.name)))
    .filter((f) => !f.startsWith("lib/generated/"));
}

describe("one audit writer", () => {
  it("auditRow fills exactly the shared column list (at aside: the database's now() unless a writer sets it)", () => {
    expect(Object.keys(auditRow("evt_x", { action: "decision", actor: { type: "system" } })).sort()).toEqual(AUDIT_COLUMNS.filter((c) => c !== "at").sort());
    expect(new Set(AUDIT_ACTIONS).size).toBe(AUDIT_ACTIONS.length);
  });

  it("no product code writes audit rows with a column list of its own: it uses append.ts's builders or AUDIT_COLUMNS", () => {
    const files = ["lib", "app", "server", "prisma"].flatMap(sources).filter((f) => f !== "lib/audit/append.ts");
    const offenders = files.filter((f) => {
      const text = readFileSync(path.join(root, f), "utf8");
      const rawInsert = /INSERT INTO "audit_events"/.test(text) && !/\bAUDIT_COLUMNS\b/.test(text);
      const ownRow = /auditEvent\.create(Many)?\(/.test(text) && !/\bauditRow\(/.test(text);
      return rawInsert || ownRow;
    });
    expect(offenders).toEqual([]);
  });
});
