import { expect, test } from "@playwright/test";
import { DEMO, signIn } from "./support/auth";

test.describe("Settings is admin-only", () => {
  for (const person of [DEMO.approver, DEMO.auditor, DEMO.requester]) {
    test(`${person.role} (${person.email}) gets a clear 403 page on /settings`, async ({ page }) => {
      await signIn(page, person.email);
      await page.goto("/settings");
      await expect(page).toHaveURL(/\/settings$/);
      const panel = page.getByTestId("forbidden");
      await expect(panel).toHaveAttribute("role", "alert");
      await expect(panel).toContainText("403 · Not allowed");
      await expect(panel).toContainText("This page is not for your role");
      await expect(panel).toContainText(person.role);
      // None of the admin's data leaks into the page: no people list, no keys.
      await expect(page.getByRole("main")).not.toContainText(DEMO.admin.email);
      await expect(page.getByRole("main").getByRole("table")).toHaveCount(0);
      if (person === DEMO.approver) await page.screenshot({ path: "test-results/artifacts/settings-403-approver.png", fullPage: true });
    });
  }

  test("the admin gets the settings page, not the 403 panel", async ({ page }) => {
    await signIn(page, DEMO.admin.email);
    await page.goto("/settings");
    await expect(page).toHaveURL(/\/settings$/);
    await expect(page.getByRole("heading", { name: "Settings", level: 1 })).toBeVisible();
    await expect(page.getByRole("main")).toContainText(DEMO.requester.email);
    await expect(page.getByTestId("forbidden")).toHaveCount(0);
    await expect(page.getByText("403 · Not allowed")).toHaveCount(0);
  });
});
