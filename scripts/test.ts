// npm test: unit and integration tests (Vitest, real PostgreSQL), then e2e (Playwright, Chromium, built app).
// Ends with one plain line "tests: N passed, N failed" summing every layer.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const out = path.join(root, ".data", "reports");
mkdirSync(out, { recursive: true });
// One layer only: "checks" (typecheck and import boundaries), "vitest" (unit + integration),
// "integration" (integration alone, e.g. against another DATABASE_URL), or "e2e".
const only = process.argv[2];

function run(cmd: string, args: string[]): number {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: process.env });
  return r.status ?? 1;
}

let passed = 0;
let failed = 0;
let exit = 0;

// Static checks first, each counted as one test: the types (tsc) and the layers' import rules
// (scripts/check-boundaries.ts). A failure is reported and the suites still run.
if (!only || only === "checks") {
  const checks: [string, string[]][] = [
    ["typecheck", [path.join(root, "node_modules/typescript/bin/tsc"), "--noEmit"]],
    ["check:boundaries", ["--import", "tsx", path.join(root, "scripts/check-boundaries.ts")]],
  ];
  for (const [name, args] of checks) {
    process.stdout.write(`\n=== ${name} ===\n`);
    const code = run(process.execPath, args);
    if (code === 0) passed += 1;
    else {
      failed += 1;
      process.stdout.write(`${name} failed\n`);
    }
    exit ||= code;
  }
}

if (!only || only === "vitest" || only === "integration") {
  const file = path.join(out, only === "integration" ? "vitest-integration.json" : "vitest.json");
  rmSync(file, { force: true });
  const projects = only === "integration" ? ["--project", "integration"] : [];
  exit ||= run(process.execPath, [path.join(root, "node_modules/vitest/vitest.mjs"), "run", ...projects, "--reporter=default", "--reporter=json", `--outputFile.json=${file}`]);
  if (existsSync(file)) {
    const r = JSON.parse(readFileSync(file, "utf8")) as { success: boolean; numTotalTests: number; numPassedTests: number; numFailedTests: number; numPendingTests: number };
    passed += r.numPassedTests;
    failed += r.numFailedTests + r.numPendingTests;
    // Vitest can exit 0 after an unhandled error (e.g. a config error) having run nothing: that is a failure.
    if ((!r.success || r.numTotalTests === 0) && r.numFailedTests + r.numPendingTests === 0) failed += 1;
  } else failed += 1;
}

if (!only || only === "e2e") {
  const file = path.join(out, "playwright.json");
  rmSync(file, { force: true });
  exit ||= run(process.execPath, [path.join(root, "node_modules/@playwright/test/cli.js"), "test"]);
  if (existsSync(file)) {
    const r = JSON.parse(readFileSync(file, "utf8")) as { stats: { expected: number; unexpected: number; flaky: number; skipped: number } };
    passed += r.stats.expected + r.stats.flaky;
    failed += r.stats.unexpected + r.stats.skipped;
  } else failed += 1;
}

process.stdout.write(`\ntests: ${passed} passed, ${failed} failed\n`);
process.exit(exit || (failed > 0 ? 1 : 0));
