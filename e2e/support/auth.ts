import { expect, request as playwrightRequest, type APIRequestContext, type Page } from "@playwright/test";

export const DEMO_PASSWORD = "lanyard-demo";

/** The demo people `npm start` seeds (scripts/seed.ts → prisma/seed.ts). */
export const DEMO = {
  admin: { email: "admin@example.com", name: "Ada Admin", role: "admin" },
  approver: { email: "approver@example.com", name: "Avery Approver", role: "approver" },
  approver2: { email: "approver2@example.com", name: "Blake Approver", role: "approver" },
  auditor: { email: "auditor@example.com", name: "Audrey Auditor", role: "auditor" },
  requester: { email: "maya@example.com", name: "Maya Requester", role: "requester" },
} as const;

/** Signs in through the /sign-in form, as a person would, and waits for the console shell. */
export async function signIn(page: Page, email: string, password = DEMO_PASSWORD): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByTestId("signed-in")).toContainText(email);
}

/**
 * A request context signed in through next-auth's credentials endpoint (CSRF token → callback), for
 * API tests. Its cookies carry the session; requests still choose their own Origin header.
 */
export async function apiSession(baseURL: string, email: string, password = DEMO_PASSWORD): Promise<APIRequestContext> {
  const ctx = await playwrightRequest.newContext({ baseURL });
  const csrf = await ctx.get("/api/auth/csrf");
  expect(csrf.ok()).toBe(true);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const res = await ctx.post("/api/auth/callback/credentials", {
    form: { csrfToken, email, password, json: "true" },
    maxRedirects: 0,
  });
  expect([200, 302]).toContain(res.status());
  const session = await ctx.get("/api/auth/session");
  const body = (await session.json()) as { user?: { email?: string } };
  expect(body.user?.email, `signed in as ${email}`).toBe(email);
  return ctx;
}

/**
 * Proves presence for a signed-in request context's session by password (issue 17): approving a high
 * or critical request needs such a proof from the last 5 minutes.
 */
export async function proveByPassword(ctx: APIRequestContext, baseURL: string, password = DEMO_PASSWORD): Promise<void> {
  const res = await ctx.post("/api/v1/me/reauth", { headers: { origin: new URL(baseURL).origin, "content-type": "application/json" }, data: { method: "password", password } });
  expect(res.status(), await res.text()).toBe(200);
}
