import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkFile, checkProject, findCycles, importsOf } from "./check-boundaries";

const temp: string[] = [];
afterAll(() => {
  for (const d of temp) rmSync(d, { recursive: true, force: true });
});

describe("check-boundaries", () => {
  it("finds every kind of import, and none in comments", () => {
    const source = [
      'import a from "@/app/a";',
      'import type { B } from "../components/b";',
      'import "./side-effect";',
      'export { c } from "@/lib/c";',
      'export * from "../app/d";',
      'const e = await import("@/components/e");',
      'const f = require("../../app/f");',
      '// import g from "@/app/g";',
      '/* import h from "@/app/h"; */',
      'const s = "import i from \'@/app/i\'";',
    ].join("\n");
    expect(importsOf(source)).toEqual(["@/app/a", "../components/b", "./side-effect", "@/lib/c", "../app/d", "@/components/e", "../../app/f"]);
  });

  it("flags lib importing app/ or components/ by alias or relative path, and nothing else", () => {
    const flagged = (file: string, spec: string) => checkFile(file, `import x from "${spec}";`).map((v) => v.target);
    expect(flagged("lib/leases/issue.ts", "@/app/api/v1/leases/route")).toEqual(["app/api/v1/leases/route"]);
    expect(flagged("lib/leases/issue.ts", "../../components/ui/button")).toEqual(["components/ui/button"]);
    expect(flagged("lib/leases/issue.ts", "@/components")).toEqual(["components"]);
    expect(flagged("lib/leases/issue.ts", "@/lib/audit/append")).toEqual([]);
    expect(flagged("lib/leases/issue.ts", "../audit/append")).toEqual([]);
    expect(flagged("lib/leases/issue.ts", "@/application/x")).toEqual([]);
    expect(flagged("lib/leases/issue.ts", "app")).toEqual([]); // a package of that name
    // Domain code uses the bottom layer (errors, shared schemas), never the HTTP wrapper; lib/api may.
    expect(flagged("lib/leases/issue.ts", "@/lib/api/handler")).toEqual(["lib/api/handler"]);
    expect(flagged("lib/leases/issue.ts", "../api/error-response")).toEqual(["lib/api/error-response"]);
    expect(flagged("lib/leases/issue.ts", "@/lib/errors")).toEqual([]);
    expect(flagged("lib/leases/issue.ts", "@/lib/schemas/common")).toEqual([]);
    expect(flagged("lib/api/handler.ts", "@/lib/api/operations")).toEqual([]);
    // app/ may import lib/; tests may cross layers.
    expect(flagged("app/(console)/page.tsx", "@/components/ui/button")).toEqual([]);
    expect(flagged("lib/api/routes.integration.test.ts", "@/app/api/v1/decisions/route")).toEqual([]);
  });

  it("fails a project whose lib imports the console, and passes this one", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "boundaries-"));
    temp.push(root);
    mkdirSync(path.join(root, "lib/leases"), { recursive: true });
    mkdirSync(path.join(root, "app"), { recursive: true });
    writeFileSync(path.join(root, "lib/leases/ok.ts"), 'import { x } from "../audit/append";\n');
    writeFileSync(path.join(root, "lib/leases/bad.tsx"), 'import { Page } from "../../app/page";\n');
    writeFileSync(path.join(root, "app/page.tsx"), 'import { issue } from "@/lib/leases/ok";\n');
    const bad = checkProject(root);
    expect(bad.files).toBe(2);
    expect(bad.violations.map((v) => `${v.file} -> ${v.target}`)).toEqual(["lib/leases/bad.tsx -> app/page"]);

    const here = checkProject(path.resolve(import.meta.dirname, ".."));
    expect(here.files).toBeGreaterThan(50);
    expect(here.violations).toEqual([]);
  });

  it("finds import cycles, by alias or relative path, type-only imports included, and none in lib", () => {
    const sources = new Map([
      ["lib/tokens/keys.ts", 'import { CLOCK_TOLERANCE_S } from "@/lib/tokens/lease-token";'],
      ["lib/tokens/lease-token.ts", 'import { ALG } from "./keys";\nimport type { Db } from "@/lib/db";'],
      ["lib/db.ts", 'import type { X } from "./db/types";'],
      ["lib/db/types.ts", 'export type X = 1;'],
      ["lib/self.ts", 'import "./self";'],
      ["lib/a/index.ts", 'import type { B } from "../b";'],
      ["lib/b.ts", 'import type { A } from "./a";'],
    ]);
    expect(findCycles(sources)).toEqual([["lib/a/index.ts", "lib/b.ts"], ["lib/self.ts"], ["lib/tokens/keys.ts", "lib/tokens/lease-token.ts"]].sort());
    // lib/tokens/keys.ts and lease-token.ts imported each other until their shared constants moved to params.ts.
    expect(checkProject(path.resolve(import.meta.dirname, "..")).cycles).toEqual([]);
  });
});
