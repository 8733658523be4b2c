// Issue 15: an admin gives a group an entitlement in Settings (Groups, Entitlements); a requester in that
// group sees the lease form offer exactly what they may delegate, with why each other tool is missing, and
// a lease within their entitlements issues.
import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { DEMO, signIn } from "./support/auth";

const AGENT = "repo-maintenance-agent";

test("a person with narrow entitlements: the lease form says why a tool is missing, and a lease within them issues", async ({ browser }) => {
  test.setTimeout(120_000);
  const tag = randomBytes(3).toString("hex");
  const email = `narrow-${tag}@example.test`;
  const password = `narrow-password-${tag}`;
  const group = `e2e-mergers-${tag}`;

  // The admin: a requester (by default: tools up to medium risk), a group, and the group's entitlement to
  // merge pull requests in staging only.
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, DEMO.admin.email);
  await admin.goto("/settings#groups");
  const addPerson = admin.getByTestId("add-person-form");
  await addPerson.getByLabel("Name").fill(`Narrow ${tag}`);
  await addPerson.getByLabel("Email").fill(email);
  await addPerson.getByLabel("Role").selectOption("requester");
  await addPerson.getByLabel("Initial password").fill(password);
  await addPerson.getByRole("button", { name: "Add person" }).click();
  await expect(addPerson.getByRole("status")).toContainText(`${email} added as requester.`);

  const addGroup = admin.getByTestId("add-group-form");
  await addGroup.getByLabel("Name").fill(group);
  await addGroup.getByLabel("Description").fill("may merge in staging");
  await addGroup.getByRole("button", { name: "Add group" }).click();
  await expect(addGroup.getByRole("status")).toContainText(`Group ${group} added.`);
  const row = admin.locator(`[data-testid="group-row"][data-name="${group}"]`);
  await row.getByLabel(`Add a member to ${group}`).selectOption({ label: email });
  await row.getByRole("button", { name: `Add to ${group}` }).click();
  await expect(row.locator(`[data-testid="group-member"][data-email="${email}"]`)).toBeVisible();
  await expect(admin.locator(`[data-testid="person-row"][data-email="${email}"]`).getByTestId("person-groups")).toHaveText(group);

  const addEnt = admin.getByTestId("add-entitlement-form");
  await addEnt.getByLabel("For a").selectOption("group");
  await addEnt.getByLabel("Who").selectOption({ label: group });
  await addEnt.getByRole("checkbox", { name: "pull_request.merge", exact: true }).check();
  await addEnt.getByLabel("Environments").fill("staging");
  await addEnt.getByRole("button", { name: "Add entitlement" }).click();
  await expect(addEnt.getByRole("status")).toContainText(`Entitlement added for ${group}.`);
  await expect(admin.locator(`[data-testid="entitlement-row"][data-subject="group:${group}"]`)).toContainText("pull_request.merge");
  await adminContext.close();

  // The requester: the form offers the agent's ceiling ∩ their entitlements, and says why the rest is missing.
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, email, password);
  await page.goto("/leases/new");
  const form = page.getByTestId("lease-form");
  await form.getByLabel("Agent").selectOption({ label: AGENT });
  await form.getByLabel("Environment").selectOption("staging");
  const offered = (tool: string) => form.locator(`[data-testid="grant-row"][data-tool="${tool}"]`);
  const missing = (tool: string) => form.locator(`[data-testid="unavailable-tool"][data-tool="${tool}"]`);
  await expect(offered("repo.read")).toBeVisible();
  await expect(offered("pull_request.merge")).toBeVisible();
  // In the ceiling, beyond the role's medium cap and not in the group's entitlement:
  await expect(offered("production.deploy")).toHaveCount(0);
  await expect(missing("production.deploy")).toContainText("not in your entitlements");
  // Entitled (up to medium) but not in this agent's ceiling:
  await expect(missing("crm.write")).toContainText("not in the agent's ceiling");
  await expect(missing("crm.write")).not.toContainText("entitlements");

  // The group's entitlement is for staging only.
  await form.getByLabel("Environment").selectOption("production");
  await expect(offered("pull_request.merge")).toHaveCount(0);
  await expect(missing("pull_request.merge")).toContainText("not in your entitlements in production");

  // Within them, a lease issues.
  await form.getByLabel("Environment").selectOption("staging");
  await form.getByLabel("Purpose").fill(`e2e: merge the dependency bump ${tag}`);
  await form.getByRole("checkbox", { name: "repo.read", exact: true }).check();
  await form.getByRole("checkbox", { name: "pull_request.merge", exact: true }).check();
  await form.getByTestId("lease-submit").click();
  await expect(page).toHaveURL(/\/leases\/lse_[A-Za-z0-9_-]+\?issued=1$/);
  await expect(page.getByTestId("lease-grants")).toContainText("pull_request.merge");
  await context.close();
});
