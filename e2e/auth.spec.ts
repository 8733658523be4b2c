import { expect, test } from "@playwright/test";
import { DEMO, signIn } from "./support/auth";

test.describe("sign-in and roles", () => {
  for (const person of Object.values(DEMO)) {
    test(`${person.email} signs in and sees the ${person.role} role`, async ({ page }) => {
      await signIn(page, person.email);
      await expect(page).toHaveURL(/\/$/);
      const who = page.getByTestId("signed-in");
      await expect(who).toContainText(person.name);
      await expect(who).toContainText(person.email);
      await expect(page.getByTestId("role")).toHaveText(person.role);
      await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
    });
  }

  test("a wrong password shows an error and stays on the sign-in page", async ({ page }) => {
    await page.goto("/sign-in");
    await page.getByLabel("Email").fill(DEMO.admin.email);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.locator("form").getByRole("alert")).toContainText("Wrong email or password");
    await expect(page).toHaveURL(/\/sign-in/);
    await expect(page.getByTestId("signed-in")).toHaveCount(0);
    // And no session was made: the console still sends us back to sign in.
    await page.goto("/");
    await expect(page).toHaveURL(/\/sign-in/);
  });

  test("an unknown email is refused the same way", async ({ page }) => {
    await page.goto("/sign-in");
    await page.getByLabel("Email").fill("nobody@example.com");
    await page.getByLabel("Password").fill("lanyard-demo");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.locator("form").getByRole("alert")).toContainText("Wrong email or password");
    await expect(page).toHaveURL(/\/sign-in/);
  });

  test("an unauthenticated visit to the console redirects to sign-in", async ({ page }) => {
    await page.goto("/");
    await expect(page).toHaveURL(/\/sign-in/);
    await expect(page.getByRole("button", { name: "Sign in", exact: true })).toBeVisible();
    await expect(page.getByTestId("signed-in")).toHaveCount(0);
  });

  test("sign out ends the session", async ({ page }) => {
    await signIn(page, DEMO.requester.email);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/sign-in/);
    await page.goto("/");
    await expect(page).toHaveURL(/\/sign-in/);
    await expect(page.getByTestId("signed-in")).toHaveCount(0);
    const session = await page.request.get("/api/auth/session");
    expect(await session.json()).toEqual({});
  });
});
