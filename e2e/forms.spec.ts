// Issue 16, part 3: errors in the form's own words and units, the audit filters (event families, a
// reversed range, a bad date), agents' "Last seen" after decisions, and the signing key in Settings.
import { randomBytes } from "node:crypto";
import { expect, test, type APIRequestContext, type Locator } from "@playwright/test";
import { DEMO, apiSession, signIn } from "./support/auth";
import { enforcementPoint } from "./support/enforcement-point";

type Agent = { id: string; name: string; owner: { id: string } | null; ceiling: { tools: string[]; maxExpiresIn: number; maxToolCalls: number } };

let admin: APIRequestContext;
let origin: string;
test.beforeAll(async ({ baseURL }) => {
  origin = new URL(baseURL!).origin;
  admin = await apiSession(baseURL!, DEMO.admin.email);
});
test.afterAll(async () => {
  await admin?.dispose();
});

/** Raw validation text or an internal field name that must never reach a person. */
const RAW = /Too small|Too big|expected (number|string|array)|>=|<=|expiresIn|maxExpiresIn|ownerId|Invalid input|must be a usr_ id/;
const fieldError = (field: Locator) => field.locator("xpath=..").getByRole("alert");

async function freshAgent(): Promise<Agent> {
  const seeded = ((await (await admin.get("/api/v1/agents?q=repo-maintenance")).json()) as { agents: Agent[] }).agents.find((a) => a.name === "repo-maintenance-agent")!;
  const made = await admin.post("/api/v1/agents", {
    headers: { origin, "content-type": "application/json" },
    data: { name: `forms-agent-${randomBytes(3).toString("hex")}`, ownerId: seeded.owner!.id, environments: ["staging"], ceiling: { ...seeded.ceiling, maxExpiresIn: 14400 } },
  });
  expect(made.status(), await made.text()).toBe(201);
  return ((await made.json()) as { agent: Agent }).agent;
}

test("the lease form says its errors in minutes, at the field, never in seconds or internal names", async ({ page }) => {
  const agent = await freshAgent();
  await signIn(page, DEMO.admin.email);
  await page.goto("/leases/new");
  const form = page.getByTestId("lease-form");
  await form.getByLabel("Agent").selectOption({ label: agent.name });
  await form.getByLabel("Purpose").fill("read the repository for the forms check");
  await form.getByRole("checkbox", { name: "repo.read", exact: true }).check();
  const expires = form.getByLabel("Expires in (minutes)");

  await expires.fill("0");
  await form.getByTestId("lease-submit").click();
  await expect(fieldError(expires)).toHaveText("at least 1 minute");
  await expect(form.getByTestId("form-error")).toHaveText("Check the field: Expires in (minutes).");
  await expect(form).not.toContainText(RAW);

  // Past the agent's ceiling (4 h): the server counts seconds, the form says minutes.
  await expires.fill("600");
  await form.getByTestId("lease-submit").click();
  await expect(fieldError(expires)).toHaveText(`at most 240 minutes for ${agent.name}`);
  await expect(form).not.toContainText(RAW);
  await expect(form).not.toContainText("14400");
});

test("the agent and people forms attach human messages to their fields", async ({ page }) => {
  await signIn(page, DEMO.admin.email);
  await page.goto("/agents/new");
  const create = page.getByTestId("agent-create-form");
  await create.getByLabel("Name").fill(`forms-${randomBytes(3).toString("hex")}`);
  await create.getByLabel("Environments").fill("");
  await create.getByLabel("Max lease (seconds)").fill("10");
  await create.getByRole("button", { name: "Create agent" }).click();
  await expect(fieldError(create.getByLabel("Environments"))).toHaveText("name at least one environment, e.g. staging");
  await expect(fieldError(create.getByLabel("Owner"))).toHaveText("choose an owner");
  await expect(fieldError(create.getByLabel("Max lease (seconds)"))).toHaveText("at least 60 seconds");
  await expect(create.getByTestId("form-error")).toContainText("Check these fields: Owner, Environments, Max lease (seconds).");
  await expect(create).not.toContainText(RAW);

  await page.goto("/settings#people");
  const addPerson = page.getByTestId("add-person-form");
  await addPerson.getByLabel("Name").fill("Forms Check");
  await addPerson.getByLabel("Email").fill("not-an-email");
  await addPerson.getByLabel("Initial password").fill("short");
  await addPerson.getByRole("button", { name: "Add person" }).click();
  await expect(fieldError(addPerson.getByLabel("Email"))).toHaveText("an email address, like name@example.com");
  await expect(fieldError(addPerson.getByLabel("Initial password"))).toHaveText("at least 12 characters");
  await expect(addPerson).not.toContainText(RAW);
});

test("audit filters: a family finds its types, a reversed range and a bad date are said once at the field", async ({ page }) => {
  const agent = await freshAgent();
  await signIn(page, DEMO.auditor.email);
  await page.goto(`/audit?action=agent&agentId=${agent.id}`);
  // agent.created of the agent just made: "agent" is the family, not an exact type.
  await expect(page.getByTestId("audit-row").first()).toContainText("agent.created");
  await expect(page.locator('#audit-actions option[value="escalation"]')).toHaveCount(1);
  await expect(page.locator('#audit-actions option[value="escalation.decided"]')).toHaveCount(1);

  await page.goto("/audit?from=2030-01-02T00:00:00.000Z&to=2030-01-01T00:00:00.000Z");
  await expect(fieldError(page.getByLabel("To (UTC)"))).toHaveText("must not be before From");
  await expect(page.getByText("must not be before From")).toHaveCount(1);
  await expect(page.getByText("No events match these filters")).toHaveCount(0);

  await page.goto("/audit?from=yesterday");
  await expect(fieldError(page.getByLabel("From (UTC)"))).toHaveText("a date and time, like 2026-01-31T09:00Z");
  await expect(page.getByText("a date and time, like 2026-01-31T09:00Z")).toHaveCount(1);
  await expect(page.getByTestId("audit-error")).toHaveText("Check the field: From (UTC).");
  await expect(page.getByTestId("audit-filters")).not.toContainText(RAW);
});

test("an agent's Last seen follows its decisions", async ({ page, baseURL }) => {
  const agent = await freshAgent();
  const ep = await enforcementPoint(admin, baseURL!, "e2e-forms", ["decisions:write"]);
  try {
    const issued = await admin.post("/api/v1/leases", {
      headers: { origin, "content-type": "application/json" },
      data: { agentId: agent.id, purpose: "e2e: last seen", environment: "staging", grants: [{ tool: "repo.read" }], expiresIn: 600, maxToolCalls: 5 },
    });
    expect(issued.status(), await issued.text()).toBe(201);
    const { leaseToken } = (await issued.json()) as { leaseToken: string };
    await signIn(page, DEMO.admin.email);
    await page.goto(`/agents/${agent.id}`);
    await expect(page.getByTestId("agent-last-seen")).toHaveText("never");
    const res = await ep.post("/api/v1/decisions", { data: { leaseToken, tool: "repo.read", resource: { type: "repo", id: "lanyard" } } });
    expect(res.status(), await res.text()).toBe(200);
    // Written beside the decision, not in it: poll.
    await expect(async () => {
      await page.reload();
      await expect(page.getByTestId("agent-last-seen")).toHaveAttribute("datetime", /^\d{4}-/, { timeout: 1000 });
    }).toPass({ timeout: 15_000 });
    await expect(page.getByTestId("agent-last-seen")).not.toHaveText("never");
  } finally {
    await ep.dispose();
  }
});

test("Settings shows the signing key's id, age and history", async ({ page }) => {
  // A lease makes sure a key exists.
  const agent = await freshAgent();
  const issued = await admin.post("/api/v1/leases", {
    headers: { origin, "content-type": "application/json" },
    data: { agentId: agent.id, purpose: "e2e: a signing key exists", environment: "staging", grants: [{ tool: "repo.read" }], expiresIn: 600, maxToolCalls: 1 },
  });
  expect(issued.status(), await issued.text()).toBe(201);
  await signIn(page, DEMO.admin.email);
  await page.goto("/settings#signing-key");
  const current = page.getByTestId("signing-key-current");
  await expect(current).toContainText("Signing with");
  await expect(page.getByTestId("signing-key-age")).toHaveAttribute("datetime", /^\d{4}-/);
  const kid = (await current.locator(".font-mono").first().textContent())!.trim();
  expect(kid.length).toBeGreaterThan(4);
  await expect(page.locator('[data-testid="signing-key-row"][data-state="signing"]')).toContainText(kid);

  // A rotation: the old key moves to the history as retired, with when.
  await page.getByTestId("rotate-signing-key").click();
  await page.getByTestId("rotate-confirm").click();
  await expect(page.getByTestId("rotated-kid")).toBeVisible();
  const retired = page.locator('[data-testid="signing-key-row"][data-state="retired"]', { hasText: kid });
  await expect(retired).toBeVisible();
  await expect(retired).toContainText("UTC");
  await expect(current).not.toContainText(kid);
});
