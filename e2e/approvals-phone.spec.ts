import { randomBytes } from "node:crypto";
import { luminance } from "./support/contrast";
import { expect, test, type APIRequestContext, type Browser, type Locator, type Page } from "@playwright/test";
import { DEMO, DEMO_PASSWORD, apiSession, signIn, proveByPassword } from "./support/auth";
import { enforcementPoint } from "./support/enforcement-point";

// Issue 16: an approver works the queue from a phone (390×844), in light and dark.
type Decision = { decision: "allow" | "deny" | "escalate"; decisionId: string; escalationId: string | null; reasons: { code: string }[] };
type Agent = { id: string; name: string; owner: { id: string } | null; ceiling: { tools: string[]; maxExpiresIn: number; maxToolCalls: number } };

const PHONE = { width: 390, height: 844 };

let admin: APIRequestContext;
let ep: APIRequestContext;
let origin: string;

test.beforeAll(async ({ baseURL }) => {
  origin = new URL(baseURL!).origin;
  admin = await apiSession(baseURL!, DEMO.admin.email);
  ep = await enforcementPoint(admin, baseURL!, "e2e-phone", ["decisions:write", "escalations:write", "leases:request"]);
});

test.afterAll(async () => {
  await Promise.all([admin?.dispose(), ep?.dispose()]);
});

const json = { "content-type": "application/json" };

/** A fresh agent (so filters by agent see only this test's requests), a lease with a high-risk merge on two repos, and two held merges. */
async function scenario() {
  const seeded = ((await (await admin.get("/api/v1/agents?q=repo-maintenance")).json()) as { agents: Agent[] }).agents.find((a) => a.name === "repo-maintenance-agent")!;
  const name = `phone-agent-${randomBytes(3).toString("hex")}`;
  const made = await admin.post("/api/v1/agents", {
    headers: { origin, ...json },
    data: { name, ownerId: seeded.owner!.id, environments: ["staging"], ceiling: seeded.ceiling },
  });
  expect(made.status(), await made.text()).toBe(201);
  const agent = ((await made.json()) as { agent: Agent }).agent;
  const issued = await admin.post("/api/v1/leases", {
    headers: { origin, ...json },
    data: {
      agentId: agent.id,
      purpose: "merge the dependency updates",
      environment: "staging",
      grants: [{ tool: "repo.read" }, { tool: "pull_request.merge", resource: { type: "repo", ids: ["clord", "lanyard"] } }],
      expiresIn: 1800,
      maxToolCalls: 20,
    },
  });
  expect(issued.status(), await issued.text()).toBe(201);
  const { lease, leaseToken } = (await issued.json()) as { lease: { id: string; runId: string }; leaseToken: string };
  const decide = async (data: Record<string, unknown>): Promise<Decision> => {
    const res = await ep.post("/api/v1/decisions", { data: { leaseToken, ...data } });
    expect(res.status(), await res.text()).toBe(200);
    return (await res.json()) as Decision;
  };
  const approveMe = await decide({ tool: "pull_request.merge", resource: { type: "repo", id: "clord" } });
  const denyMe = await decide({ tool: "pull_request.merge", resource: { type: "repo", id: "lanyard" } });
  expect([approveMe.decision, denyMe.decision]).toEqual(["escalate", "escalate"]);
  // Eight identical lease requests from the enforcement point, asked before the merges would expire.
  for (let i = 0; i < 8; i++) {
    const res = await ep.post("/api/v1/leases", {
      headers: json,
      data: { agentId: agent.id, purpose: "nightly read of the repository", requestedBy: DEMO.requester.email, environment: "staging", grants: [{ tool: "repo.read" }], expiresIn: 1800, maxToolCalls: 5 },
    });
    expect(res.status(), await res.text()).toBe(201);
  }
  return { agent, lease, leaseToken, decide, approveId: approveMe.escalationId!, denyId: denyMe.escalationId! };
}

async function phone(browser: Browser, colorScheme: "light" | "dark", email: string = DEMO.approver.email): Promise<Page> {
  const context = await browser.newContext({ viewport: PHONE, colorScheme, hasTouch: true });
  const page = await context.newPage();
  await signIn(page, email);
  return page;
}

async function noHorizontalScroll(page: Page) {
  const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(scroll, "no horizontal scroll").toBeLessThanOrEqual(client);
}

async function tapTarget(l: Locator, what: string) {
  const box = await l.boundingBox();
  expect(box, what).not.toBeNull();
  expect(box!.height, `${what} is at least 44 px tall`).toBeGreaterThanOrEqual(44);
  expect(box!.width, `${what} is at least 44 px wide`).toBeGreaterThanOrEqual(44);
}

for (const theme of ["light", "dark"] as const) {
  test(`an approver approves one request and denies another from a phone (${theme})`, async ({ browser }) => {
    test.setTimeout(120_000);
    const s = await scenario();
    const page = await phone(browser, theme);
    await page.goto(`/approvals?agent=${s.agent.id}`);
    await expect(page.getByTestId("queue-filter-agent")).toHaveValue(s.agent.id);

    // Grouping: the eight identical lease requests are one row with a count, under the high-risk merges.
    const groups = page.getByTestId("queue-group");
    await expect(groups).toHaveCount(3);
    await expect(groups.nth(0).getByTestId("queue-item").first()).toHaveAttribute("data-risk", "high");
    await expect(groups.nth(2)).toHaveAttribute("data-count", "8");
    await expect(groups.nth(2).getByTestId("queue-group-count")).toHaveText("×8");
    await expect(page.getByTestId("queue-item")).toHaveCount(3);
    // The filter works and is kept in the address.
    await page.getByTestId("queue-filter-kind").selectOption("step_up");
    await expect(page.getByTestId("queue-item")).toHaveCount(2);
    await expect(page).toHaveURL(/kind=step_up/);
    await expect(page.getByTestId("shortcuts")).toBeHidden();

    await noHorizontalScroll(page);
    for (const [i, item] of (await page.getByTestId("queue-item").all()).entries()) await tapTarget(item, `queue item ${i}`);
    await tapTarget(page.getByTestId("queue-filter-risk"), "risk filter");
    await tapTarget(page.getByTestId("tab-history"), "history tab");
    await page.screenshot({ path: test.info().outputPath(`queue-${theme}.png`), fullPage: true });

    // Approve: the request and its decision fit one screen, the action bar in view without scrolling.
    await page.locator(`[data-testid="queue-item"][data-escalation-id="${s.approveId}"]`).click();
    const detail = page.getByTestId("escalation-detail");
    await expect(detail).toHaveAttribute("data-escalation-id", s.approveId);
    await expect(detail.getByRole("heading", { level: 2 })).toContainText("pull_request.merge on repo clord");
    await expect(detail.getByRole("heading", { level: 2 })).toBeInViewport();
    await expect(detail.getByTestId("countdown")).toBeInViewport();
    await expect(detail.getByRole("region", { name: "Why the agent asks" })).toBeInViewport();
    await expect(detail.getByTestId("vote-approve")).toBeInViewport({ ratio: 1 });
    await expect(detail.getByTestId("vote-deny")).toBeInViewport({ ratio: 1 });
    await expect(detail.getByTestId("vote-reason")).toBeInViewport();
    await tapTarget(detail.getByTestId("vote-approve"), "Approve");
    await tapTarget(detail.getByTestId("vote-deny"), "Deny");
    await tapTarget(page.getByTestId("queue-back"), "back to the queue");
    await expect(detail.getByTestId("escalation-run-link")).toHaveAttribute("href", `/runs/${s.lease.runId}`);
    // The request and its action bar follow the theme (the palette is mirrored in the dark).
    const card = await luminance(page, '[data-testid="escalation-detail"]', "backgroundColor");
    const bar = await luminance(page, '[data-testid="vote-form"]', "backgroundColor");
    if (theme === "dark") expect([card, bar].every((l) => l < 0.1), `dark surfaces (${card}, ${bar})`).toBe(true);
    else expect([card, bar].every((l) => l > 0.8), `light surfaces (${card}, ${bar})`).toBe(true);
    expect(await luminance(page, '[data-testid="escalation-detail"] h2', "color"), "readable heading").toBeGreaterThan(theme === "dark" ? 0.5 : -1);
    await noHorizontalScroll(page);
    await page.screenshot({ path: test.info().outputPath(`request-${theme}.png`) });
    // Keyboard parity: a focuses Approve here too.
    await page.keyboard.press("a");
    await expect(detail.getByTestId("vote-approve")).toBeFocused();
    await detail.getByTestId("vote-reason").fill("The dependency bump is green on CI.");
    await detail.getByTestId("vote-approve").tap();
    // A high-risk approval asks, in place, for a fresh proof that it is the approver (issue 17); then the vote goes.
    await detail.getByTestId("reauth-password").fill(DEMO_PASSWORD);
    await tapTarget(detail.getByTestId("reauth-password-submit"), "Confirm");
    await detail.getByTestId("reauth-password-submit").tap();
    await expect(detail.getByTestId("escalation-decided")).toContainText(`Decided (approved) by ${DEMO.approver.email}`);

    // Deny the other one, with a reason (asked for when missing).
    await page.getByTestId("queue-back").tap();
    await page.locator(`[data-testid="queue-item"][data-escalation-id="${s.denyId}"]`).tap();
    await expect(detail).toHaveAttribute("data-escalation-id", s.denyId);
    await expect(detail.getByTestId("vote-deny")).toBeInViewport({ ratio: 1 });
    await detail.getByTestId("vote-deny").tap();
    await expect(detail.getByTestId("vote-error")).toContainText("Give a reason to deny");
    await detail.getByTestId("vote-reason").fill("Not during the release freeze.");
    await detail.getByTestId("vote-deny").tap();
    await expect(detail.getByTestId("escalation-decided")).toContainText("Decided (denied)");
    await expect(detail.getByTestId("escalation-decided")).toContainText("Not during the release freeze.");

    // The history loads (it once answered a 500 after 14 s) and shows both.
    const res = await page.goto(`/approvals/history?agentId=${s.agent.id}`);
    expect(res?.status()).toBe(200);
    await expect(page.locator(`[data-testid="history-row"][data-escalation-id="${s.approveId}"]`)).toBeVisible();
    await expect(page.locator(`[data-testid="history-row"][data-escalation-id="${s.denyId}"]`)).toHaveAttribute("data-status", "denied");
    await noHorizontalScroll(page);
    await page.context().close();
  });
}

test("the findings: who approved a step-up, an ended run, the explain headline, people waiting, the hint for read-only roles", async ({ baseURL, page }) => {
  test.setTimeout(120_000);
  const s = await scenario();
  const approver = await apiSession(baseURL!, DEMO.approver.email);
  await proveByPassword(approver, baseURL!);
  const voted = await approver.post(`/api/v1/escalations/${s.approveId}/votes`, { headers: { origin, ...json }, data: { verdict: "approve", reason: "CI is green" } });
  expect(voted.status(), await voted.text()).toBe(200);
  const approval = ((await voted.json()) as { escalation: { approvalId: string } }).escalation.approvalId;
  await approver.dispose();
  const used = await s.decide({ tool: "pull_request.merge", resource: { type: "repo", id: "clord" }, approvalId: approval });
  expect(used.decision).toBe("allow");

  // "33 people are waiting" counted requests: the hint names requests and people apart.
  await signIn(page, DEMO.auditor.email);
  await expect(page.getByTestId("stat-pending")).toContainText(/requests? from \d+ (person|people) waiting/);

  // The explain view: Avery approved the step-up, not the lease (the lease was issued without approval).
  await page.goto(`/audit/decisions/${used.decisionId}`);
  await expect(page.getByTestId("explain-summary")).not.toContainText("a lease approved by");
  await expect(page.getByTestId("explain-other-approval")).toContainText(`a step-up approved by ${DEMO.approver.name}`);
  await expect(page.getByTestId("explain-approvers")).toContainText("The lease was issued without a separate approval.");

  // The run timeline says who approved the step-up and why, also after the agent used it.
  await page.goto(`/runs/${s.lease.runId}`);
  const row = page.locator(`[data-testid="timeline-event"][data-escalation-id="${s.approveId}"]`);
  await expect(row.getByTestId("escalation-consumed")).toBeVisible();
  await expect(row.getByTestId("escalation-decided-by")).toHaveText(DEMO.approver.email);
  await expect(row.getByTestId("escalation-decided-reason")).toContainText("CI is green");
  await expect(page.getByTestId("stream-state")).toHaveAttribute("data-state", "live");

  // A run whose lease ended does not say "Live".
  const revoked = await admin.post(`/api/v1/leases/${s.lease.id}/revoke`, { headers: { origin, ...json }, data: { reason: "done for the test" } });
  expect(revoked.status(), await revoked.text()).toBe(200);
  await page.reload();
  await expect(page.getByTestId("run-lease-status")).toHaveText("revoked");
  await expect(page.getByTestId("stream-state")).toHaveAttribute("data-state", "ended");
  await expect(page.getByTestId("run-lease")).not.toContainText("Live");

  // A role that cannot vote sees no keyboard hint (a and d would do nothing).
  await page.goto("/approvals");
  await expect(page.getByTestId("queue-count")).toBeVisible();
  await expect(page.getByTestId("shortcuts")).toHaveCount(0);
});
