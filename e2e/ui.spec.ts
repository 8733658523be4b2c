import AxeBuilder from "@axe-core/playwright";
import { luminance } from "./support/contrast";
import { expect, test, type Browser, type BrowserContext, type Page, type TestInfo } from "@playwright/test";
import { DEMO, signIn } from "./support/auth";

/**
 * The console as people use it (issue 16): on a phone (390×844) and a laptop (1280×800), light and
 * dark. One signed-in context per role, reused by every test of a worker, keeps the run short.
 */
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const SCHEMES = ["light", "dark"] as const;

/** The sections of the navigation (each gets a screenshot per theme and size). */
const MAIN = ["/", "/approvals", "/leases", "/runs", "/audit", "/agents", "/settings"];

test.describe.configure({ mode: "parallel" });

const contexts = new Map<string, BrowserContext>();
async function pageAs(browser: Browser, email: string): Promise<Page> {
  let ctx = contexts.get(email);
  if (!ctx) {
    ctx = await browser.newContext({ viewport: DESKTOP });
    const page = await ctx.newPage();
    await signIn(page, email);
    await page.close();
    contexts.set(email, ctx);
  }
  return ctx.newPage();
}
test.afterAll(async () => {
  for (const ctx of contexts.values()) await ctx.close();
  contexts.clear();
});

/**
 * A lease (and so a run) of the seeded agent, issued once per worker through the API with the page's
 * session, so every detail page has something to show.
 */
let issued: Promise<{ lease: string; run: string; agent: string }> | undefined;
function seededIds(page: Page): Promise<{ lease: string; run: string; agent: string }> {
  issued ??= (async () => {
    const origin = new URL(test.info().project.use.baseURL!).origin;
    const agents = (await (await page.request.get("/api/v1/agents?q=repo-maintenance")).json()) as { agents: { id: string; name: string }[] };
    const agent = agents.agents.find((a) => a.name === "repo-maintenance-agent");
    expect(agent, "the seeded agent").toBeTruthy();
    const res = await page.request.post("/api/v1/leases", {
      headers: { origin, "content-type": "application/json" },
      data: {
        agentId: agent!.id,
        purpose: "e2e ui: bump lodash across the monorepo and open a pull request with the changelog",
        environment: "staging",
        grants: [{ tool: "repo.read" }, { tool: "repo.commit", resource: { type: "branch", ids: ["agent/*"] } }],
        deny: ["secrets.read"],
        expiresIn: 1800,
        maxToolCalls: 10,
        maxDelegationDepth: 1,
      },
    });
    expect(res.status(), await res.text()).toBe(201);
    const { lease } = (await res.json()) as { lease: { id: string; runId: string } };
    return { lease: lease.id, run: lease.runId, agent: agent!.id };
  })();
  return issued;
}

async function noHorizontalScroll(page: Page, where: string) {
  const { scroll, client, culprits } = await page.evaluate(() => {
    const client = document.documentElement.clientWidth;
    // The innermost elements that stick out, to name the cause in the failure message.
    const out = [...document.querySelectorAll("body *")].filter((el) => el.getBoundingClientRect().right > client + 1 && ![...el.children].some((c) => c.getBoundingClientRect().right > client + 1));
    const culprits = out.slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].slice(0, 4).join(".")} → ${Math.round(el.getBoundingClientRect().right)}px`);
    return { scroll: document.documentElement.scrollWidth, client, culprits };
  });
  expect(scroll, `${where}: page width ${scroll}px in a ${client}px viewport; sticking out: ${culprits.join("; ")}`).toBeLessThanOrEqual(client);
}

async function seriousAxe(page: Page, where: string, testInfo: TestInfo): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (bad.length) await testInfo.attach(`axe ${where}`, { body: JSON.stringify(bad, null, 2), contentType: "application/json" });
  return bad.map((v) => `${where}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
}

test.describe("status codes", () => {
  test("a page a role may not see answers 403 with the console's panel and navigation", async ({ browser }) => {
    test.setTimeout(60_000);
    const page = await pageAs(browser, DEMO.approver.email);
    for (const [path, permission] of [["/settings", "people.manage"], ["/settings/connections", "connections.manage"], ["/agents/new", "agents.manage"]] as const) {
      const res = await page.goto(path);
      expect(res?.status(), path).toBe(403);
      await expect(page.getByTestId("forbidden")).toContainText("403 · Not allowed");
      await expect(page.getByTestId("forbidden")).toContainText(permission);
      await expect(page.getByTestId("forbidden")).toContainText(DEMO.approver.role);
      await expect(page.getByRole("navigation", { name: "Main" })).toBeAttached();
    }
    await page.close();
  });

  test("unknown run, lease and agent ids answer 404 inside the console; unknown paths 404 without CSP errors", async ({ browser }) => {
    test.setTimeout(60_000);
    const page = await pageAs(browser, DEMO.admin.email);
    const cspErrors: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy|Content-Security-Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    for (const path of ["/leases/lse_doesnotexist0000", "/runs/run_doesnotexist0000", "/agents/agt_doesnotexist0000", "/leases/lse_doesnotexist0000/receipt"]) {
      const res = await page.goto(path);
      expect(res?.status(), path).toBe(404);
      await expect(page.getByTestId("not-found"), path).toBeVisible();
      await expect(page.getByRole("navigation", { name: "Main" })).toBeAttached();
    }
    const res = await page.goto("/no-such-page/at-all");
    expect(res?.status()).toBe(404);
    await expect(page.getByTestId("not-found")).toBeVisible();
    await page.getByRole("link", { name: "Back to the dashboard" }).click();
    await expect(page).toHaveURL(/\/$/);
    expect(cspErrors, "no CSP violations while rendering 404s").toEqual([]);
    await page.close();
  });
});

test.describe("titles", () => {
  test("detail pages' tab titles name their object", async ({ browser }) => {
    test.setTimeout(60_000);
    const page = await pageAs(browser, DEMO.admin.email);
    const ids = await seededIds(page);
    await page.goto(`/leases/${ids.lease}`);
    await expect(page).toHaveTitle(new RegExp(`^Lease ${ids.lease} · \\S.* · Lanyard$`));
    await page.goto(`/runs/${ids.run}`);
    await expect(page).toHaveTitle(new RegExp(`^Run ${ids.run}( · \\S.*)? · Lanyard$`));
    await page.goto(`/agents/${ids.agent}`);
    await expect(page).toHaveTitle(/^Agent \S.* · Lanyard$/);
    await page.close();
  });
});

test.describe("phone layout", () => {
  test("at 390 px the navigation folds behind a Menu button and no console page scrolls sideways", async ({ browser }) => {
    test.setTimeout(90_000);
    const page = await pageAs(browser, DEMO.admin.email);
    await page.setViewportSize(PHONE);
    const ids = await seededIds(page);
    for (const path of [...MAIN, "/approvals/history", "/leases/new", `/leases/${ids.lease}`, `/runs/${ids.run}`, `/agents/${ids.agent}`, "/agents/new", "/settings/connections"]) {
      await page.goto(path);
      await expect(page.getByTestId("nav-panel")).toBeHidden();
      await noHorizontalScroll(page, path);
    }
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto("/leases");
    await noHorizontalScroll(page, "/leases at 360 px");
    await page.setViewportSize(PHONE);

    // The Menu button: a disclosure, a 44 px target, closed by Escape (focus back on it) and by following a link.
    const toggle = page.getByRole("button", { name: "Menu" });
    await expect(toggle).toHaveAttribute("aria-expanded", "false");
    const box = (await toggle.boundingBox())!;
    expect(Math.min(box.width, box.height)).toBeGreaterThanOrEqual(44);
    await toggle.click();
    await expect(toggle).toHaveAttribute("aria-expanded", "true");
    const nav = page.getByRole("navigation", { name: "Main" });
    await expect(nav.getByRole("link", { name: "Approvals" })).toBeVisible();
    expect((await nav.getByRole("link", { name: "Approvals" }).boundingBox())!.height).toBeGreaterThanOrEqual(44);
    await page.keyboard.press("Escape");
    await expect(toggle).toHaveAttribute("aria-expanded", "false");
    await expect(toggle).toBeFocused();
    await expect(page.getByTestId("nav-panel")).toBeHidden();
    await toggle.click();
    await nav.getByRole("link", { name: "Runs" }).click();
    await expect(page).toHaveURL(/\/runs$/);
    await expect(toggle).toHaveAttribute("aria-expanded", "false");
    await expect(page.getByTestId("nav-panel")).toBeHidden();
    // Content gets the whole width.
    const main = (await page.getByRole("main").boundingBox())!;
    expect(main.width).toBeGreaterThanOrEqual(PHONE.width - 1);

    // From md up the navigation is a column and the Menu button is gone.
    await page.setViewportSize(DESKTOP);
    await expect(toggle).toBeHidden();
    await expect(page.getByTestId("nav-panel")).toBeVisible();
    await page.close();
  });
});

test.describe("theme", () => {
  test("follows the system, can be switched, is remembered and rendered before paint", async ({ browser }) => {
    const page = await pageAs(browser, DEMO.auditor.email);
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto("/audit");
    expect(await luminance(page, "body", "backgroundColor"), "system dark: dark page").toBeLessThan(0.05);
    // The sidebar's title and the person's name stay readable.
    expect(await luminance(page, 'nav[aria-label="Main"] a[href="/"]', "color")).toBeGreaterThan(0.5);
    expect(await luminance(page, '[data-testid="signed-in"] > div', "color")).toBeGreaterThan(0.5);

    await page.getByTestId("theme-switch").selectOption("light");
    expect(await luminance(page, "body", "backgroundColor"), "switched to light").toBeGreaterThan(0.8);
    // The server renders the remembered choice into <html> (no flash before a script could run).
    const html = await (await page.request.get("/audit")).text();
    expect(html).toMatch(/<html[^>]*class="light"/);
    await page.reload();
    expect(await luminance(page, "body", "backgroundColor")).toBeGreaterThan(0.8);

    await page.getByTestId("theme-switch").selectOption("dark");
    await page.emulateMedia({ colorScheme: "light" });
    await page.reload();
    expect(await luminance(page, "body", "backgroundColor"), "dark chosen beats a light system").toBeLessThan(0.05);
    await page.getByTestId("theme-switch").selectOption("system");
    expect(await luminance(page, "body", "backgroundColor")).toBeGreaterThan(0.8);
    await page.close();
  });

  test("the console's 404 panel matches the shell in the dark", async ({ browser }) => {
    const page = await pageAs(browser, DEMO.admin.email);
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto("/leases/lse_doesnotexist0000");
    const panel = await luminance(page, '[data-testid="not-found"]', "backgroundColor");
    const nav = await luminance(page, 'nav[aria-label="Main"]', "backgroundColor");
    expect(Math.abs(panel - nav), "panel and sidebar share one theme").toBeLessThan(0.05);
    expect(await luminance(page, '[data-testid="not-found"] h1', "color")).toBeGreaterThan(0.5);
    await page.close();
  });
});

// Every console page, both themes: no serious or critical axe violations; a screenshot of each main page per theme and size.
for (const scheme of SCHEMES) {
  for (const [size, viewport] of [["phone", PHONE], ["desktop", DESKTOP]] as const) {
    test.describe(`axe and screenshots, ${scheme}, ${size}`, () => {
      test(`${scheme} ${size}`, async ({ browser }, testInfo) => {
        test.setTimeout(180_000);
        const page = await pageAs(browser, DEMO.admin.email);
        await page.setViewportSize(viewport);
        await page.emulateMedia({ colorScheme: scheme });
        const ids = await seededIds(page);
        // axe on every page at desktop size, in both themes; at phone size (the same components in another
        // layout) the main pages' screenshots only: axe there doubled the spec's time, the largest in CI.
        const pages = size === "desktop" ? [...MAIN, "/approvals/history", "/leases/new", `/leases/${ids.lease}`, `/leases/${ids.lease}/receipt`, `/runs/${ids.run}`, `/agents/${ids.agent}`, "/agents/new", "/settings/connections", "/settings/policies", "/agents/review", "/profile", "/leases/lse_doesnotexist0000"] : MAIN;
        const problems: string[] = [];
        for (const path of pages) {
          await page.goto(path);
          await expect(page.getByRole("main")).toBeVisible();
          if (size === "desktop") problems.push(...(await seriousAxe(page, path, testInfo)));
          if (MAIN.includes(path)) {
            // Written into the test's output folder (kept after a pass) and attached to the report.
            const file = testInfo.outputPath(`${path === "/" ? "dashboard" : path.slice(1)}-${scheme}-${size}.png`);
            await page.screenshot({ path: file, fullPage: true });
            await testInfo.attach(file.split("/").pop()!, { path: file, contentType: "image/png" });
          }
        }
        expect(problems, "serious or critical axe violations").toEqual([]);
        await page.close();
      });
    });
  }
}
