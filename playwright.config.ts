import { defineConfig, devices } from "@playwright/test";

// End-to-end tests drive the real built console (the same `scripts/start.ts` as `npm start`) in
// Debian's Chromium. The server gets its own port, PostgreSQL port and data folder, recreated on every
// run, so it never collides with a developer's `npm start` (3000 / 25432 / .data).
const PORT = Number(process.env.LANYARD_E2E_PORT ?? 3100);
const PG_PORT = Number(process.env.LANYARD_E2E_PG_PORT ?? 25434);
// Its own folder too when asked (LANYARD_E2E_DATA_DIR), so one engineer's run never deletes another's.
const DATA_DIR = process.env.LANYARD_E2E_DATA_DIR ?? ".data/e2e";
export const baseURL = `http://localhost:${PORT}`;

/**
 * The server's environment is given explicitly: it always runs on its own embedded database with the
 * demo seed, even when the caller's shell has DATABASE_URL (CI's second pass) or other Lanyard settings.
 */
function serverEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (k === "DATABASE_URL" || k === "PORT" || k.startsWith("LANYARD_") || k.startsWith("NEXTAUTH_") || k.startsWith("OIDC_")) continue;
    env[k] = v;
  }
  return {
    ...env,
    PORT: String(PORT),
    LANYARD_DATA_DIR: DATA_DIR,
    LANYARD_PG_PORT: String(PG_PORT),
    LANYARD_SEED_DEMO: "1",
    // e2e/connections.spec.ts tests a stdio upstream from the console.
    LANYARD_CONNECTION_TEST_STDIO: "1",
    LANYARD_DEMO_PASSWORD: "lanyard-demo",
    NEXTAUTH_URL: baseURL,
  };
}

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  fullyParallel: false,
  workers: 2,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["json", { outputFile: ".data/reports/playwright.json" }]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"], channel: undefined } }],
  webServer: {
    // webServer starts before globalSetup, so the fresh data folder is made by the command itself.
    command: `rm -rf ${DATA_DIR} && node --import tsx scripts/start.ts`,
    url: `${baseURL}/api/health`,
    env: serverEnv(),
    // The first run builds the console (`next build`): several minutes on two cores.
    timeout: 10 * 60_000,
    reuseExistingServer: !process.env.CI,
    gracefulShutdown: { signal: "SIGTERM", timeout: 15_000 },
    stdout: "pipe",
    stderr: "pipe",
  },
});
