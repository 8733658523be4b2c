import { randomBytes } from "node:crypto";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { DEMO, apiSession, signIn } from "./support/auth";
import { enforcementPoint } from "./support/enforcement-point";

type Decision = { decision: "allow" | "deny" | "escalate"; decisionId: string; reasons: { code: string }[] };

/** The seqs of the rows the explorer shows (small results: every row is in the DOM). */
const shownSeqs = async (page: Page) => (await page.getByTestId("audit-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-seq")!))).map(BigInt);

test.describe("Audit explorer", () => {
  let admin: APIRequestContext;
  let ep: APIRequestContext;
  let agent: { id: string; name: string };
  let leaseId: string;
  let denied: Decision;

  test.beforeAll(async ({ baseURL }) => {
    const origin = new URL(baseURL!).origin;
    admin = await apiSession(baseURL!, DEMO.admin.email);
    ep = await enforcementPoint(admin, baseURL!, "e2e-audit", ["decisions:write"]);

    const agents = (await (await admin.get("/api/v1/agents?q=repo-maintenance")).json()) as { agents: { id: string; name: string }[] };
    agent = agents.agents.find((a) => a.name === "repo-maintenance-agent")!;
    expect(agent, "seeded agent").toBeTruthy();
    const issued = await admin.post("/api/v1/leases", {
      headers: { origin, "content-type": "application/json" },
      data: { agentId: agent.id, purpose: `e2e: audit trail ${randomBytes(3).toString("hex")}`, environment: "staging", grants: [{ tool: "repo.read" }], deny: ["secrets.read"], expiresIn: 1800, maxToolCalls: 10 },
    });
    expect(issued.status(), await issued.text()).toBe(201);
    const { lease, leaseToken } = (await issued.json()) as { lease: { id: string }; leaseToken: string };
    leaseId = lease.id;

    const decide = async (tool: string): Promise<Decision> => {
      const res = await ep.post("/api/v1/decisions", { data: { leaseToken, tool } });
      expect(res.status(), await res.text()).toBe(200);
      return (await res.json()) as Decision;
    };
    denied = await decide("secrets.read");
    expect(denied.decision).toBe("deny");
    expect((await decide("repo.read")).decision).toBe("allow");
  });

  test.afterAll(async () => {
    await Promise.all([admin?.dispose(), ep?.dispose()]);
  });

  test("an auditor filters by agent and outcome, shares the URL, and explains a denied call", async ({ page }) => {
    test.setTimeout(60_000);
    await signIn(page, DEMO.auditor.email);
    await page.goto("/audit");
    await expect(page.getByRole("heading", { name: "Audit", level: 1 })).toBeVisible();
    const filters = page.getByTestId("audit-filters");
    await expect(filters).toBeVisible();

    // Filter through the UI; each choice lands in the address.
    await filters.getByLabel("Agent").selectOption({ label: agent.name });
    await expect(page).toHaveURL(new RegExp(`[?&]agentId=${agent.id}`));
    await filters.getByLabel("Outcome").selectOption("deny");
    await expect(page).toHaveURL(/[?&]outcome=deny/);
    const url = new URL(page.url());
    expect(url.pathname).toBe("/audit");
    expect(url.searchParams.get("agentId")).toBe(agent.id);
    expect(url.searchParams.get("outcome")).toBe("deny");

    // Only denials of that agent; ours among them (the decision event of the lease we just used).
    const ours = page.locator('[data-testid="audit-row"]', { hasText: leaseId });
    await expect(ours).toHaveCount(1);
    await expect(ours).toContainText("secrets.read");
    const outcomes = await page.getByTestId("audit-row").getByTestId("audit-outcome").allTextContents();
    expect(outcomes.length).toBeGreaterThan(0);
    expect(new Set(outcomes.map((o) => o.trim()))).toEqual(new Set(["deny"]));
    await expect(page.getByTestId("audit-count")).toHaveAttribute("data-complete", "true");
    const first = await shownSeqs(page);
    await page.screenshot({ path: "test-results/artifacts/audit-explorer-filtered.png", fullPage: false });

    // The URL is the query: a new page on it shows the same result and the same filters. (Other specs
    // may add newer denials meanwhile, so compare up to the newest event the first page showed.)
    const shared = await page.context().newPage();
    await shared.goto(url.toString());
    await expect(shared.getByTestId("audit-filters").getByLabel("Agent")).toHaveValue(agent.id);
    await expect(shared.getByTestId("audit-filters").getByLabel("Outcome")).toHaveValue("deny");
    await expect(shared.locator('[data-testid="audit-row"]', { hasText: leaseId })).toHaveCount(1);
    const newest = first.reduce((a, b) => (a > b ? a : b));
    expect((await shownSeqs(shared)).filter((s) => s <= newest)).toEqual(first);
    await shared.close();

    // The drawer shows the event in full and links to what it names.
    await ours.click();
    const drawer = page.getByTestId("event-drawer");
    await expect(drawer).toBeVisible();
    await expect(drawer).toContainText("decision");
    await expect(drawer.getByRole("link", { name: leaseId })).toHaveAttribute("href", `/leases/${leaseId}`);
    await expect(drawer.getByRole("link", { name: agent.name })).toHaveAttribute("href", `/agents/${agent.id}`);
    await expect(drawer.getByTestId("event-payload")).toContainText("tool_denied");

    // Explain: the whole chain behind the denial on one screen.
    await drawer.getByTestId("explain-link").click();
    await expect(page).toHaveURL(new RegExp(`/audit/decisions/${denied.decisionId}$`));
    const explain = page.getByTestId("explain-view");
    await expect(explain).toBeVisible();
    await expect(explain.getByTestId("explain-delegator")).toContainText(DEMO.admin.email);
    await expect(explain.getByTestId("explain-agent")).toContainText(agent.name);
    await expect(explain.getByTestId("explain-jti")).toHaveText(leaseId);
    await expect(explain.getByTestId("explain-reasons")).toContainText("tool_denied");
    await expect(explain.getByTestId("explain-call")).toContainText("secrets.read");
    await expect(explain.getByTestId("explain-call-outcome")).toHaveText("deny");
    await expect(explain.getByTestId("explain-grants")).toContainText("repo.read");
    await expect(explain.getByTestId("explain-lease")).toContainText("secrets.read");
    await page.screenshot({ path: "test-results/artifacts/audit-explain.png", fullPage: true });
  });

  test("Verify integrity reports an intact chain", async ({ page }) => {
    await signIn(page, DEMO.auditor.email);
    await page.goto("/audit");
    await page.getByTestId("verify-integrity").click();
    const result = page.getByTestId("verify-result");
    await expect(result).toHaveAttribute("data-ok", "true");
    await expect(result).toContainText("Chain intact");
    await expect(result).toContainText("firstBrokenSeq: null");
    await page.screenshot({ path: "test-results/artifacts/audit-verify.png", fullPage: false });
  });
});
