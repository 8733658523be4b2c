import { randomBytes } from "node:crypto";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { DEMO, apiSession, signIn } from "./support/auth";
import { enforcementPoint } from "./support/enforcement-point";

// Issue 17: bulk answers, extending a lease, and the access review, each on an agent of its own.
test.describe("Bulk, extend and access review", () => {
  let admin: APIRequestContext;
  let approver: APIRequestContext;
  let ep: APIRequestContext;
  let origin: string;
  const json = () => ({ origin, "content-type": "application/json" });

  test.beforeAll(async ({ baseURL }) => {
    origin = new URL(baseURL!).origin;
    admin = await apiSession(baseURL!, DEMO.admin.email);
    approver = await apiSession(baseURL!, DEMO.approver.email);
    ep = await enforcementPoint(admin, baseURL!, "e2e-review", ["decisions:write", "escalations:write"]);
  });
  test.afterAll(async () => {
    await Promise.all([admin?.dispose(), approver?.dispose(), ep?.dispose()]);
  });

  async function newAgent(tools: string[]) {
    const people = (await (await admin.get("/api/v1/people")).json()) as { people: { id: string; email: string }[] };
    const ownerId = people.people.find((p) => p.email === DEMO.admin.email)!.id;
    const name = `e2e-review-${randomBytes(3).toString("hex")}`;
    const res = await admin.post("/api/v1/agents", { headers: json(), data: { name, ownerId, environments: ["staging"], ceiling: { tools, maxExpiresIn: 3600, maxToolCalls: 1000 } } });
    expect(res.status(), await res.text()).toBe(201);
    return ((await res.json()) as { agent: { id: string; name: string } }).agent;
  }

  async function newLease(agentId: string) {
    const res = await admin.post("/api/v1/leases", { headers: json(), data: { agentId, purpose: "e2e review", environment: "staging", grants: [{ tool: "repo.read" }], expiresIn: 600, maxToolCalls: 10 } });
    expect(res.status(), await res.text()).toBe(201);
    return (await res.json()) as { lease: { id: string; runId: string }; leaseToken: string };
  }

  test("bulk deny three identical requests with one reason", async ({ page }) => {
    const agent = await newAgent(["repo.read", "ci.test.read"]);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { leaseToken } = await newLease(agent.id);
      const res = await ep.post("/api/v1/escalations", { data: { leaseToken, kind: "more_permission", tool: "ci.test.read", justification: "needs the test results" } });
      expect(res.status(), await res.text()).toBe(201);
      ids.push(((await res.json()) as { escalation: { id: string } }).escalation.id);
    }
    await signIn(page, DEMO.approver.email);
    await page.goto(`/approvals?agent=${agent.id}`);
    const group = page.getByTestId("queue-group").filter({ hasText: agent.name });
    await expect(group).toHaveAttribute("data-count", "3");
    await group.getByTestId("queue-pick").check();
    await expect(page.getByTestId("bulk-count")).toHaveText("3 selected");
    await page.getByTestId("bulk-reason").fill("no CI access this week");
    await page.getByTestId("bulk-deny").click();
    await expect(page.getByTestId("bulk-result")).toContainText("3 answered");
    for (const id of ids) {
      const e = (await (await approver.get(`/api/v1/escalations/${id}`)).json()) as { escalation: { status: string; approvals: { by: string; verdict: string; reason: string }[] } };
      expect(e.escalation).toMatchObject({ status: "denied", approvals: [{ by: DEMO.approver.email, verdict: "deny", reason: "no CI access this week" }] });
    }
  });

  test("extend a lease from its page; once approved, the run timeline shows it", async ({ page }) => {
    const agent = await newAgent(["repo.read"]);
    const { lease } = await newLease(agent.id);
    await signIn(page, DEMO.admin.email);
    await page.goto(`/leases/${lease.id}`);
    await page.getByTestId("lease-extend").click();
    await page.getByTestId("lease-extend-calls").fill("50");
    await page.getByTestId("lease-extend-why").fill("the migration has more files than planned");
    await page.getByTestId("lease-extend-submit").click();
    await expect(page.getByTestId("lease-extend-sent")).toBeVisible();

    const list = (await (await approver.get(`/api/v1/escalations?kind=extension&agentId=${agent.id}`)).json()) as { escalations: { id: string }[] };
    expect(list.escalations).toHaveLength(1);
    const voted = await approver.post(`/api/v1/escalations/${list.escalations[0]!.id}/votes`, { headers: json(), data: { verdict: "approve", reason: "fine" } });
    expect(voted.status(), await voted.text()).toBe(200);

    await page.goto(`/runs/${lease.runId}`);
    await expect(page.getByTestId("timeline").getByTestId("timeline-event").filter({ hasText: "Lease extended" })).toContainText("50 calls");
    await page.goto(`/leases/${lease.id}`);
    await expect(page.getByTestId("lease-budget")).toContainText("/ 50");
  });

  test("the access review shrinks a ceiling, and the next lease form no longer offers the removed tool", async ({ page }) => {
    const agent = await newAgent(["repo.read", "ci.test.read"]);
    await signIn(page, DEMO.admin.email);
    await page.goto("/agents/review");
    const row = page.locator(`[data-testid="review-agent"][data-agent="${agent.name}"]`);
    // Both are unused for 90 days and preselected; keep repo.read, remove ci.test.read.
    await expect(row.getByTestId("review-remove-ci.test.read")).toBeChecked();
    await row.getByTestId("review-remove-repo.read").uncheck();
    await row.getByTestId("review-shrink").click();
    await expect(row.getByTestId("review-remove-ci.test.read")).toHaveCount(0);
    await expect(row.getByTestId("review-remove-repo.read")).toBeVisible();

    await page.goto("/leases/new");
    const form = page.getByTestId("lease-form");
    await form.getByLabel("Agent").selectOption({ label: agent.name });
    await expect(form.locator('[data-testid="grant-row"][data-tool="repo.read"]')).toBeVisible();
    await expect(form.locator('[data-testid="grant-row"][data-tool="ci.test.read"]')).toHaveCount(0);
  });
});
