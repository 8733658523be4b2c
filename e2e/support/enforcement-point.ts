import { randomBytes } from "node:crypto";
import { expect, request as playwrightRequest, type APIRequestContext } from "@playwright/test";

/**
 * An enforcement point for a test: the admin session makes a key with `scopes` (the console's
 * same-origin rule applies), and a request context carries it as `Authorization: Bearer lyd_ep_…`.
 */
export async function enforcementPoint(admin: APIRequestContext, baseURL: string, name: string, scopes: string[]): Promise<APIRequestContext> {
  const made = await admin.post("/api/v1/enforcement-points", {
    headers: { origin: new URL(baseURL).origin, "content-type": "application/json" },
    data: { name: `${name}-${randomBytes(3).toString("hex")}`, scopes },
  });
  expect(made.status(), await made.text()).toBe(201);
  const { key } = (await made.json()) as { key: string };
  return playwrightRequest.newContext({ baseURL, extraHTTPHeaders: { authorization: `Bearer ${key}` } });
}
