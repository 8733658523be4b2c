import { randomBytes } from "node:crypto";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { DEMO, apiSession, signIn } from "./support/auth";
import { enforcementPoint } from "./support/enforcement-point";

type Decision = { decision: "allow" | "deny" | "escalate"; decisionId: string; reasons: { code: string }[] };
type Issued = { lease: { id: string; runId: string; status: string }; leaseToken: string };

/** Arrival time (browser clock, ms since epoch) of each timeline row, recorded by a MutationObserver. */
async function watchArrivals(page: Page) {
  await page.evaluate(() => {
    const w = window as unknown as { __arrivals: Record<string, number> };
    w.__arrivals = {};
    const record = () => {
      for (const el of document.querySelectorAll<HTMLElement>('[data-testid="timeline-event"][data-seq]')) w.__arrivals[el.dataset.seq!] ??= Date.now();
    };
    record();
    new MutationObserver(record).observe(document.body, { childList: true, subtree: true });
  });
}

test.describe("Run timeline, receipt and dashboard", () => {
  let admin: APIRequestContext;
  let ep: APIRequestContext;
  let origin: string;

  test.beforeAll(async ({ baseURL }) => {
    origin = new URL(baseURL!).origin;
    admin = await apiSession(baseURL!, DEMO.admin.email);
    ep = await enforcementPoint(admin, baseURL!, "e2e-runs", ["decisions:write", "leases:delegate", "leases:complete"]);
  });

  test.afterAll(async () => {
    await Promise.all([admin?.dispose(), ep?.dispose()]);
  });

  test("a run page shows decisions live; after completion the receipt shows them; the dashboard charts them", async ({ page }) => {
    test.setTimeout(120_000);

    const agents = (await (await admin.get("/api/v1/agents?q=repo-maintenance")).json()) as { agents: { id: string; name: string }[] };
    const agent = agents.agents.find((a) => a.name === "repo-maintenance-agent");
    expect(agent, "seeded agent").toBeTruthy();
    const purpose = `e2e: watch a run ${randomBytes(3).toString("hex")}`;
    const res = await admin.post("/api/v1/leases", {
      headers: { origin, "content-type": "application/json" },
      data: {
        agentId: agent!.id,
        purpose,
        environment: "staging",
        grants: [{ tool: "repo.read" }, { tool: "repo.commit", resource: { type: "branch", ids: ["agent/*"] } }],
        deny: ["secrets.read", "production.deploy"],
        expiresIn: 1800,
        maxToolCalls: 10,
        maxDelegationDepth: 1,
      },
    });
    expect(res.status(), await res.text()).toBe(201);
    const { lease, leaseToken } = (await res.json()) as Issued;
    expect(lease.status).toBe("active");
    const decide = async (token: string, tool: string, resource: { type: string; id: string }): Promise<{ d: Decision; sentAt: number; answeredAt: number }> => {
      const sentAt = Date.now();
      const r = await ep.post("/api/v1/decisions", { data: { leaseToken: token, tool, resource, context: { environment: "staging" } } });
      const answeredAt = Date.now();
      expect(r.status(), await r.text()).toBe(200);
      return { d: (await r.json()) as Decision, sentAt, answeredAt };
    };

    // The delegator opens the run before anything happens.
    await signIn(page, DEMO.admin.email);
    await page.goto(`/runs/${lease.runId}`);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(lease.runId);
    await expect(page.getByTestId("stream-state")).toHaveAttribute("data-state", "live");
    const timeline = page.getByTestId("timeline");
    await expect(timeline.locator('[data-event="lease.issued"]')).toHaveCount(1);
    await expect(page.getByTestId("budget-bar")).toContainText("0 / 10");
    await expect(page.getByTestId("time-left")).toContainText(/min left/);
    await expect(page.getByTestId("receipt-link")).toHaveCount(0);
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
    await watchArrivals(page);

    // An allowed call appears on the open timeline, with its tool, resource, reasons and latency.
    const read = await decide(leaseToken, "repo.read", { type: "file", id: "package.json" });
    expect(read.d.decision).toBe("allow");
    const readRow = timeline.locator('[data-event="decision"][data-outcome="allow"]').filter({ hasText: "package.json" });
    await expect(readRow).toBeVisible({ timeout: 5_000 });
    await expect(readRow.getByTestId("decision-tool")).toHaveText("repo.read");
    await expect(readRow.getByTestId("decision-resource")).toHaveText("file package.json");
    await expect(readRow.getByTestId("decision-outcome")).toHaveText("allow");
    await expect(readRow.getByTestId("decision-reason")).toHaveText("granted");
    await expect(readRow.getByTestId("decision-latency")).toHaveText(/^\d+(\.\d)? ms$/);
    await expect(page.getByTestId("budget-bar")).toContainText("1 / 10");

    // A denied call, then the denials-only filter.
    const denied = await decide(leaseToken, "secrets.read", { type: "secret", id: "prod/npm-token" });
    expect(denied.d.decision).toBe("deny");
    const deniedRow = timeline.locator('[data-event="decision"][data-outcome="deny"]');
    await expect(deniedRow).toHaveCount(1);
    await expect(deniedRow.getByTestId("decision-reason")).toHaveText("tool_denied");
    await expect(page.getByTestId("budget-bar")).toContainText("1 / 10");

    // The browser saw each decision within a second of its answer (arrival clock vs. the answer's).
    const seqs = await timeline.locator('[data-event="decision"]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.seq!));
    const arrivals = await page.evaluate(() => (window as unknown as { __arrivals: Record<string, number> }).__arrivals);
    const latencies = [read, denied].map((call, i) => arrivals[seqs[i]!]! - call.answeredAt);
    console.log(`timeline latency after the decision's response: ${latencies.map((l) => `${l} ms`).join(", ")} (request→row: ${[read, denied].map((c, i) => `${arrivals[seqs[i]!]! - c.sentAt} ms`).join(", ")})`);
    for (const l of latencies) expect(l).toBeLessThan(1_000);

    await page.getByTestId("denials-only").check();
    await expect(timeline.locator('[data-event="decision"]')).toHaveCount(1);
    await expect(timeline.locator('[data-event="decision"]')).toHaveAttribute("data-outcome", "deny");
    await page.getByTestId("denials-only").uncheck();
    await expect(timeline.locator('[data-event="decision"]')).toHaveCount(2);

    // A subagent: its run nests under the delegation.
    const child = await ep.post(`/api/v1/leases/${lease.id}/delegate`, {
      data: { leaseToken, agentId: agent!.id, purpose: "e2e: subagent reads the changelog", grants: [{ tool: "repo.read" }], expiresIn: 600, maxToolCalls: 3 },
    });
    expect(child.status(), await child.text()).toBe(201);
    const sub = (await child.json()) as Issued;
    expect((await decide(sub.leaseToken, "repo.read", { type: "file", id: "CHANGELOG.md" })).d.decision).toBe("allow");
    const nested = timeline.locator(`[data-testid="subagent-run"][data-run-id="${sub.lease.runId}"]`);
    await expect(nested.locator('[data-event="decision"]')).toContainText("CHANGELOG.md");
    await expect(page.getByTestId("budget-bar")).toContainText("2 / 10");

    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    await page.screenshot({ path: "test-results/artifacts/run-timeline.png", fullPage: true });

    // Completion: the timeline says so and offers the receipt, still without a reload.
    const done = await ep.post(`/api/v1/leases/${lease.id}/complete`, { data: { leaseToken } });
    expect(done.status(), await done.text()).toBe(200);
    const { receipt } = (await done.json()) as { receipt: { digest: string } };
    await expect(timeline.locator(`[data-event="lease.ended"]`).last()).toBeVisible();
    await expect(page.getByTestId("receipt-link")).toBeVisible();
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);

    await page.getByTestId("receipt-link").click();
    await expect(page).toHaveURL(new RegExp(`/leases/${lease.id}/receipt$`));
    await expect(page.getByTestId("receipt")).toBeVisible();
    await expect(page.getByTestId("receipt-digest")).toHaveText(receipt.digest);
    const calls = page.getByTestId("receipt-calls");
    await expect(calls.getByTestId("receipt-call")).toHaveCount(2);
    await expect(calls).toContainText("repo.read");
    await expect(calls).toContainText("file package.json");
    await expect(calls).toContainText("secrets.read");
    await expect(page.getByTestId("receipt-denied")).toContainText("secrets.read");
    await expect(page.getByTestId("receipt-denied")).toContainText("tool_denied");
    await expect(page.getByTestId("receipt-subagents")).toContainText(sub.lease.id);
    await expect(page.getByTestId("receipt-download-jws")).toHaveAttribute("href", `/api/v1/leases/${lease.id}/receipt?format=jws`);
    await page.screenshot({ path: "test-results/artifacts/run-receipt.png", fullPage: true });

    // The dashboard charts what just happened.
    await page.goto("/");
    await expect(page.getByRole("heading", { name: "Dashboard", level: 1 })).toBeVisible();
    const decisions = page.getByTestId("chart-decisions");
    await expect(decisions.locator(".recharts-bar-rectangle").first()).toBeVisible();
    expect(Number(await decisions.getAttribute("data-total"))).toBeGreaterThanOrEqual(3);
    const deniedChart = page.getByTestId("chart-denied");
    await expect(deniedChart.locator(".recharts-bar-rectangle").first()).toBeVisible();
    await expect(deniedChart.locator("a", { hasText: "secrets.read" })).toHaveAttribute("href", "/audit?tool=secrets.read&outcome=deny");
    await expect(page.getByTestId("stat-pending")).toHaveAttribute("href", "/approvals");
    await expect(page.getByTestId("stat-pending-value")).toHaveText(/^\d+$/);
    await expect(page.getByTestId("stat-exposure-value")).toHaveText(/^[\d,.]+$/);
    await expect(page.getByTestId("active-leases")).toBeVisible();
    await page.screenshot({ path: "test-results/artifacts/dashboard.png", fullPage: true });
  });
});
