import { randomBytes } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import { DEMO, apiSession, signIn } from "./support/auth";

const AGENT = "repo-maintenance-agent";

/** Opens the issuance form and picks the seeded agent. */
async function openFormFor(page: Page) {
  await page.goto("/leases/new");
  const form = page.getByTestId("lease-form");
  await expect(form).toBeVisible();
  await form.getByLabel("Agent").selectOption({ label: AGENT });
  await expect(form.getByTestId("agent-ceiling-summary")).toContainText(`Ceiling of ${AGENT}`);
  return form;
}

test.describe("Lease issuance", () => {
  test("a requester issues a scoped lease from the form, sees its preview first, and revokes it", async ({ page }) => {
    test.setTimeout(90_000);
    const purpose = `e2e: bump lodash and open a PR ${randomBytes(3).toString("hex")}`;

    await signIn(page, DEMO.requester.email);
    const form = await openFormFor(page);
    const preview = page.getByTestId("permission-preview");

    await form.getByLabel("Environment").selectOption("staging");
    await form.getByLabel("Purpose").fill(purpose);
    await form.getByLabel("Task reference").fill("https://tracker.example/T-1042");

    // Only the agent's ceiling is offered as grants.
    await expect(form.locator('[data-testid="grant-row"][data-tool="repo.commit"]')).toBeVisible();
    await expect(form.locator('[data-testid="grant-row"][data-tool="secrets.read"]')).toHaveCount(0);

    await form.getByRole("checkbox", { name: "repo.read", exact: true }).check();
    await form.getByRole("checkbox", { name: "repo.commit", exact: true }).check();
    await form.getByLabel("Resource type for repo.commit").fill("branch");
    await form.getByLabel("Resource ids for repo.commit").fill("agent/*");
    await form.getByRole("checkbox", { name: "Never allow secrets.read", exact: true }).check();
    await form.getByLabel("Expires in (minutes)").fill("45");
    await form.getByLabel("Call budget").fill("25");

    // The preview says exactly what will be allowed, before anything is submitted.
    await expect(preview.getByTestId("preview-task")).toContainText(purpose);
    await expect(preview.getByTestId("preview-task")).toContainText(`${AGENT} in staging`);
    const allowed = preview.getByTestId("preview-allowed").getByRole("listitem");
    await expect(allowed).toHaveCount(2);
    await expect(allowed.filter({ hasText: "repo.commit" })).toHaveText("repo.commit on branch agent/*");
    await expect(allowed.filter({ hasText: "repo.read" })).toHaveText("repo.read on any resource");
    await expect(preview.getByTestId("preview-not-allowed")).toContainText("secrets.read");
    await expect(preview.getByTestId("preview-not-allowed")).toContainText("and every tool not listed under Allowed.");
    await expect(preview.getByTestId("preview-needs-approval")).toContainText("none");
    await expect(preview.getByTestId("preview-budget")).toContainText("25 tool calls");
    await expect(preview.getByTestId("preview-expires")).toContainText("(in 45 min)");
    await expect(preview.getByTestId("preview-pending")).toHaveCount(0);
    await expect(preview.getByTestId("preview-over-ceiling")).toHaveCount(0);
    await expect(form.getByTestId("lease-submit")).toHaveText("Issue lease");
    expect(new URL(page.url()).pathname).toBe("/leases/new");
    await page.screenshot({ path: "test-results/artifacts/lease-form-preview.png", fullPage: true });

    // Issued: maya may delegate non-critical tools herself, so it is active at once.
    await form.getByTestId("lease-submit").click();
    await expect(page).toHaveURL(/\/leases\/lse_[A-Za-z0-9_-]+\?issued=1$/);
    const leasePath = new URL(page.url()).pathname;
    await expect(page.getByTestId("lease-issued")).toContainText("Lease issued and active.");
    const token = page.getByTestId("lease-token");
    await expect(token).toBeVisible();
    await expect(token).toHaveValue(/\S{20,}/);
    await expect(page.getByTestId("lease-status")).toHaveText("active");
    await expect(page.getByRole("main").locator("header h1 + p")).toHaveText(purpose);
    const grants = page.getByTestId("lease-grants");
    await expect(grants).toContainText("repo.commit");
    await expect(grants).toContainText("on branch agent/*");
    await expect(grants).toContainText("repo.read");
    await expect(page.getByTestId("lease-deny")).toContainText("secrets.read");
    await expect(page.getByTestId("lease-budget")).toContainText("0 / 25");

    // The token is shown once: the same page loaded again does not show it.
    await page.reload();
    await expect(page.getByTestId("lease-status")).toHaveText("active");
    await expect(page.getByTestId("lease-token")).toHaveCount(0);

    // Revoke it with a reason.
    await page.getByTestId("lease-revoke").click();
    const revoke = page.getByTestId("lease-revoke-form");
    await expect(revoke).toBeVisible();
    await expect(revoke.getByTestId("lease-revoke-confirm")).toBeDisabled();
    const reason = "e2e: the PR was opened by hand instead";
    await revoke.getByLabel("Reason").fill(reason);
    await revoke.getByTestId("lease-revoke-confirm").click();
    await expect(page.getByTestId("lease-status")).toHaveText("revoked");
    await expect(page.getByTestId("lease-ended-reason")).toContainText(reason);
    await expect(page.getByTestId("lease-revoke")).toHaveCount(0);
    await page.goto(leasePath);
    await expect(page.getByTestId("lease-status")).toHaveText("revoked");
  });

  test("a critical tool makes the preview say the lease starts pending approval", async ({ page, baseURL }) => {
    // Requesters may delegate only up to medium risk by default (issue 15), and the form offers only what
    // they may: Maya is entitled to production.deploy herself here, for this test only.
    const admin = await apiSession(baseURL!, DEMO.admin.email);
    const { people } = (await (await admin.get("/api/v1/people")).json()) as { people: { id: string; email: string }[] };
    const maya = people.find((p) => p.email === DEMO.requester.email)!;
    const created = await admin.post("/api/v1/entitlements", {
      headers: { origin: new URL(baseURL!).origin, "content-type": "application/json" },
      data: { subjectType: "person", subjectId: maya.id, tools: ["production.deploy"], environments: ["production"], description: "e2e: leases.spec" },
    });
    expect(created.status()).toBe(201);
    const { entitlement } = (await created.json()) as { entitlement: { id: string } };
    try {
      await criticalToolPreview(page);
    } finally {
      await admin.delete(`/api/v1/entitlements/${entitlement.id}`, { headers: { origin: new URL(baseURL!).origin } });
      await admin.dispose();
    }
  });
});

/** The preview of a critical grant (Maya is entitled to it when this runs). */
async function criticalToolPreview(page: Page) {
  await signIn(page, DEMO.requester.email);
  const form = await openFormFor(page);
  const preview = page.getByTestId("permission-preview");

  await form.getByLabel("Environment").selectOption("production");
  await form.getByLabel("Purpose").fill("e2e: ship the release");
  await form.getByRole("checkbox", { name: "repo.read", exact: true }).check();
  await expect(preview.getByTestId("preview-pending")).toHaveCount(0);
  await expect(form.getByTestId("lease-submit")).toHaveText("Issue lease");

  await form.getByRole("checkbox", { name: "production.deploy", exact: true }).check();
  const pending = preview.getByTestId("preview-pending");
  await expect(pending).toBeVisible();
  await expect(pending).toContainText("Starts pending approval");
  await expect(pending).toContainText("production.deploy");
  await expect(preview.getByTestId("preview-needs-approval")).toContainText("production.deploy (critical risk)");
  await expect(form.getByTestId("lease-submit")).toHaveText("Request lease (needs approval)");

  // Unticking it takes the note away again.
  await form.getByRole("checkbox", { name: "production.deploy", exact: true }).uncheck();
  await expect(preview.getByTestId("preview-pending")).toHaveCount(0);
}
