import { expect, test, type APIRequestContext } from "@playwright/test";
import { DEMO, apiSession, signIn } from "./support/auth";

test.describe("Agent inventory", () => {
  let admin: APIRequestContext;

  test.beforeAll(async ({ baseURL }) => {
    admin = await apiSession(baseURL!, DEMO.admin.email);
  });

  test.afterAll(async () => {
    await admin?.dispose();
  });

  test("the admin registers, finds, edits and suspends an agent", async ({ page, baseURL }) => {
    test.setTimeout(90_000);
    const name = `e2e-agent-${Date.now()}`;
    // The page header (title, then the agent's description), not the edit form's textarea.
    const header = page.getByRole("main").locator("header");
    const headerDescription = header.locator("h1 + p");
    const description = `Checks the nightly build for ${name}.`;

    await signIn(page, DEMO.admin.email);

    // Register it through the form.
    await page.goto("/agents");
    await page.getByRole("link", { name: "New agent" }).click();
    await expect(page).toHaveURL(/\/agents\/new$/);
    const create = page.getByTestId("agent-create-form");
    await create.getByLabel("Name").fill(name);
    await create.getByLabel("Description").fill(description);
    await create.getByLabel("Owner").selectOption({ label: `${DEMO.requester.name} (${DEMO.requester.email})` });
    await create.getByLabel("Environments").fill("staging, qa");
    await create.getByLabel("Max lease (seconds)").fill("1800");
    await create.getByLabel("Max tool calls per lease").fill("40");
    const createTools = create.getByTestId("ceiling-tools");
    await createTools.getByRole("checkbox", { name: "repo.read", exact: true }).check();
    await createTools.getByRole("checkbox", { name: "repo.commit", exact: true }).check();
    await expect(createTools).toContainText("2 selected");
    await create.getByRole("button", { name: "Create agent" }).click();

    await expect(page).toHaveURL(/\/agents\/agt_[A-Za-z0-9_-]+$/);
    const agentUrl = new URL(page.url()).pathname;
    const agentId = agentUrl.split("/").pop()!;
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
    await expect(page.getByTestId("agent-status")).toHaveText("active");
    await expect(headerDescription).toHaveText(description);
    const ceiling = page.getByTestId("agent-ceiling-tools");
    await expect(ceiling.getByRole("listitem")).toHaveCount(2);
    await expect(ceiling).toContainText("repo.read");
    await expect(ceiling).toContainText("repo.commit");
    await expect(page.getByTestId("form-error")).toHaveCount(0);

    // It is in the inventory; the search filter finds it and lives in the URL.
    await page.goto("/agents");
    const ours = page.locator(`[data-testid="agent-row"][data-agent-name="${name}"]`);
    await expect(ours).toBeVisible();
    await expect(page.locator('[data-testid="agent-row"][data-agent-name="repo-maintenance-agent"]')).toBeVisible();
    await page.screenshot({ path: "test-results/artifacts/agent-inventory.png", fullPage: true });

    const filters = page.getByTestId("filters");
    await filters.getByLabel("Search").fill(name);
    await filters.getByRole("button", { name: "Apply" }).click();
    await expect(page).toHaveURL(new RegExp(`[?&]q=${name}(&|$)`));
    await expect(page.getByTestId("agent-row")).toHaveCount(1);
    await expect(ours).toBeVisible();
    await expect(ours).toContainText(description);
    await expect(ours).toContainText(DEMO.requester.name);
    await expect(ours).toContainText("staging");
    await expect(ours).toContainText("qa");
    await expect(ours.getByTestId("agent-ceiling")).toHaveText("2 tools · 30 min · 40 calls");
    await expect(ours.getByTestId("agent-status")).toHaveText("active");
    await expect(page.getByTestId("agents-count")).toHaveText(/^1 agent matching \(of \d+\)$/);

    // Edit it: a new description, and a different ceiling (ci.test.read in, repo.commit out).
    await ours.getByRole("link", { name }).click();
    await expect(page).toHaveURL(new RegExp(`${agentUrl}$`));
    const edit = page.getByTestId("agent-edit-form");
    const newDescription = `${description} Reads CI results too.`;
    await edit.getByLabel("Description").fill(newDescription);
    const editTools = edit.getByTestId("ceiling-tools");
    await expect(editTools.getByRole("checkbox", { name: "repo.commit", exact: true })).toBeChecked();
    await editTools.getByRole("checkbox", { name: "repo.commit", exact: true }).uncheck();
    await editTools.getByRole("checkbox", { name: "ci.test.read", exact: true }).check();
    await edit.getByRole("button", { name: "Save changes" }).click();
    await expect(edit.getByTestId("agent-saved")).toHaveText("Saved.");
    await expect(headerDescription).toHaveText(newDescription);
    await expect(ceiling.getByRole("listitem")).toHaveCount(2);
    await expect(ceiling).toContainText("ci.test.read");
    await expect(ceiling).not.toContainText("repo.commit");
    await page.reload();
    await expect(headerDescription).toHaveText(newDescription);
    await expect(ceiling).toContainText("ci.test.read");
    await expect(ceiling).not.toContainText("repo.commit");

    // A live lease of this agent, so the suspension has something to revoke.
    const issued = await admin.post("/api/v1/leases", {
      headers: { origin: new URL(baseURL!).origin, "content-type": "application/json" },
      data: { agentId, purpose: `e2e: lease revoked by suspension of ${name}`, environment: "staging", grants: [{ tool: "repo.read" }], expiresIn: 600, maxToolCalls: 5 },
    });
    expect(issued.status(), await issued.text()).toBe(201);
    const { lease } = (await issued.json()) as { lease: { id: string; status: string } };
    expect(lease.status).toBe("active");
    await page.reload();
    const leaseRow = page.locator(`[data-testid="lease-row"][data-lease-id="${lease.id}"]`);
    await expect(leaseRow.getByTestId("lease-status")).toHaveText("active");

    // Suspend it: the warning says what happens to live leases, and a reason is required.
    await page.getByTestId("agent-action-suspend").click();
    const confirm = page.getByTestId("agent-status-confirm");
    await expect(confirm).toBeVisible();
    await expect(confirm.getByTestId("agent-status-warning")).toContainText("Suspending revokes every live lease of this agent");
    const confirmButton = confirm.getByTestId("agent-status-confirm-button");
    await expect(confirmButton).toBeDisabled();
    await confirm.getByLabel("Reason").fill("e2e: owner asked to pause the agent during an incident");
    await expect(confirmButton).toBeEnabled();
    await expect(confirmButton).toHaveText(`Suspend ${name}`);
    await confirmButton.click();

    await expect(page.getByTestId("agent-status")).toHaveText("suspended");
    await expect(confirm).toHaveCount(0);
    await expect(page.getByTestId("agent-action-reactivate")).toBeVisible();
    await expect(page.getByTestId("agent-action-suspend")).toHaveCount(0);
    await expect(leaseRow.getByTestId("lease-status")).toHaveText("revoked");
    await expect(page.getByRole("link", { name: "Issue lease" })).toHaveCount(0);

    // The status filter finds it among the suspended agents.
    await page.goto("/agents");
    await page.getByTestId("filters").getByLabel("Status").selectOption("suspended");
    await expect(page).toHaveURL(/[?&]status=suspended(&|$)/);
    await expect(ours).toBeVisible();
    await expect(ours.getByTestId("agent-status")).toHaveText("suspended");
    const statuses = await page.getByTestId("agent-row").getByTestId("agent-status").allTextContents();
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set(["suspended"]));
    await expect(page.locator('[data-testid="agent-row"][data-agent-name="repo-maintenance-agent"]')).toHaveCount(0);
  });

  test("an approver sees the inventory read-only", async ({ page }) => {
    await signIn(page, DEMO.approver.email);
    await page.goto("/agents");
    await expect(page.getByRole("heading", { name: "Agents", level: 1 })).toBeVisible();
    const row = page.locator('[data-testid="agent-row"][data-agent-name="repo-maintenance-agent"]');
    await expect(row).toBeVisible();
    await expect(page.getByRole("link", { name: "New agent" })).toHaveCount(0);

    await row.getByRole("link", { name: "repo-maintenance-agent" }).click();
    await expect(page).toHaveURL(/\/agents\/agt_[A-Za-z0-9_-]+$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("repo-maintenance-agent");
    await expect(page.getByTestId("agent-status")).toBeVisible();
    await expect(page.getByTestId("agent-ceiling-tools")).toContainText("production.deploy");
    // No way to change it: no status actions, no edit form, no lease issuing.
    await expect(page.getByTestId("agent-status-card")).toHaveCount(0);
    await expect(page.getByTestId("agent-action-suspend")).toHaveCount(0);
    await expect(page.getByTestId("agent-action-retire")).toHaveCount(0);
    await expect(page.getByTestId("agent-action-reactivate")).toHaveCount(0);
    await expect(page.getByTestId("agent-edit-form")).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Save changes" })).toHaveCount(0);
    await expect(page.getByRole("link", { name: "Issue lease" })).toHaveCount(0);

    // Typing the address of the create form gets the 403 panel, not the form.
    await page.goto("/agents/new");
    await expect(page.getByTestId("forbidden")).toContainText("agents.manage");
    await expect(page.getByTestId("agent-create-form")).toHaveCount(0);
  });
});
