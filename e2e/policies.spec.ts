import { randomBytes } from "node:crypto";
import { expect, request as playwrightRequest, test, type APIRequestContext, type APIResponse } from "@playwright/test";
import { DEMO, apiSession, signIn } from "./support/auth";
import { enforcementPoint } from "./support/enforcement-point";

// Policies (issue 14): the HTTP routes, then the console page. One file on purpose: the tests here
// publish policy versions, and a file's tests run one after another (fullyParallel: false), so no
// publish of this file races another of its own. Every policy published here forbids calls of an
// agent this file made, so the other specs' decisions are untouched.

type ErrorBody = { error: { code: string; message: string; issues?: { path: (string | number)[]; message: string }[] } };
type Listing = { current: { version: number; text: string; policies: { id: string }[] } | null; versions: { version: number; message: string; authorEmail: string; diff: string; policyIds: string[] }[] };
type Replay = { evaluated: number; changed: { decisionId: string; tool: string; agentId: string | null; from: string; to: string; policyIds: string[] }[]; changedTotal: number; byTool: Record<string, number>; byAgent: Record<string, number> };
type WhatIf = { decision: string; reasons: { code: string; message: string }[]; policy: { version: number | null; draft: boolean; determinedBy: string[] } };

async function expectError(res: APIResponse, status: number, code: string): Promise<ErrorBody> {
  expect(res.status(), `${res.url()} → ${await res.text()}`).toBe(status);
  expect(res.headers()["content-type"]).toMatch(/^application\/json/);
  const body = (await res.json()) as ErrorBody;
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(Object.keys(body.error).every((k) => ["code", "message", "issues"].includes(k))).toBe(true);
  return body;
}

const hex = () => randomBytes(3).toString("hex");

/** A forbid that touches only `agentId`'s calls of `tool`. */
const forbidFor = (id: string, agentId: string, tool = "repo.read", annotation = `@reason("e2e: ${id}")`) =>
  `\n@id("${id}")\n${annotation}\nforbid(principal in Agent::"${agentId}", action == Action::"${tool}", resource);\n`;

/** An agent of this spec's own, a live lease for it, and `n` allowed repo.read decisions through a key. */
async function seedHistory(admin: APIRequestContext, baseURL: string, n: number) {
  const origin = new URL(baseURL).origin;
  const json = { origin, "content-type": "application/json" };
  const people = ((await (await admin.get("/api/v1/people")).json()) as { people: { id: string; email: string }[] }).people;
  const made = await admin.post("/api/v1/agents", {
    headers: json,
    data: { name: `e2e-policy-${hex()}`, description: "made by e2e/policies.spec.ts", ownerId: people.find((p) => p.email === DEMO.admin.email)!.id, environments: ["staging"], ceiling: { tools: ["repo.read"], maxExpiresIn: 3600, maxToolCalls: 100 } },
  });
  expect(made.status(), await made.text()).toBe(201);
  const agent = ((await made.json()) as { agent: { id: string; name: string } }).agent;
  const issued = await admin.post("/api/v1/leases", {
    headers: json,
    data: { agentId: agent.id, purpose: "e2e: history for a policy replay", environment: "staging", grants: [{ tool: "repo.read" }], expiresIn: 1800, maxToolCalls: 50 },
  });
  expect(issued.status(), await issued.text()).toBe(201);
  const { lease, leaseToken } = (await issued.json()) as { lease: { id: string; status: string }; leaseToken: string };
  expect(lease.status).toBe("active");
  const ep = await enforcementPoint(admin, baseURL, "e2e-policies", ["decisions:write"]);
  try {
    for (let i = 0; i < n; i++) {
      const r = await ep.post("/api/v1/decisions", { data: { leaseToken, tool: "repo.read", resource: { type: "file", id: `README-${i}.md` }, context: { environment: "staging" } } });
      expect(r.status(), await r.text()).toBe(200);
      expect(((await r.json()) as { decision: string }).decision).toBe("allow");
    }
  } finally {
    await ep.dispose();
  }
  return { agent, lease, people };
}

test.describe("Policies API", () => {
  let origin: string;
  let admin: APIRequestContext;
  let auditor: APIRequestContext;
  let approver: APIRequestContext;
  let maya: APIRequestContext;
  let anonymous: APIRequestContext;

  test.beforeAll(async ({ baseURL }) => {
    origin = new URL(baseURL!).origin;
    admin = await apiSession(baseURL!, DEMO.admin.email);
    auditor = await apiSession(baseURL!, DEMO.auditor.email);
    approver = await apiSession(baseURL!, DEMO.approver.email);
    maya = await apiSession(baseURL!, DEMO.requester.email);
    anonymous = await playwrightRequest.newContext({ baseURL });
  });

  test.afterAll(async () => {
    await Promise.all([admin, auditor, approver, maya, anonymous].map((c) => c?.dispose()));
  });

  const json = () => ({ origin, "content-type": "application/json" });
  const listing = async (as = admin) => {
    const res = await as.get("/api/v1/policies");
    expect(res.status(), await res.text()).toBe(200);
    return (await res.json()) as Listing;
  };
  const publishedEvents = async () => {
    const res = await admin.get("/api/v1/audit/events?action=policy.published&limit=500");
    expect(res.status(), await res.text()).toBe(200);
    return ((await res.json()) as { events: unknown[] }).events.length;
  };
  const whatIfCall = { tool: "repo.read", agentId: "agt_doesnotexist", environment: "staging" };

  test("without a session every route is 401; for approvers and requesters 403; writes need a same-origin Origin", async () => {
    const live = await listing();
    const bodies = { validate: { text: "" }, publish: { text: live.current?.text ?? "", message: "e2e: refused" }, replay: { text: "" }, "what-if": { call: whatIfCall } };
    await expectError(await anonymous.get("/api/v1/policies"), 401, "unauthenticated");
    for (const [route, data] of Object.entries(bodies)) await expectError(await anonymous.post(`/api/v1/policies/${route}`, { headers: json(), data }), 401, "unauthenticated");
    for (const who of [approver, maya]) {
      await expectError(await who.get("/api/v1/policies"), 403, "forbidden");
      for (const [route, data] of Object.entries(bodies)) await expectError(await who.post(`/api/v1/policies/${route}`, { headers: json(), data }), 403, "forbidden");
    }
    // A key opens only enforcement-point routes, never a console one.
    await expectError(await anonymous.get("/api/v1/policies", { headers: { authorization: "Bearer lyd_ep_nothing" } }), 401, "unauthenticated");
    // CSRF: a console write without the same-origin Origin is refused even for the admin.
    await expectError(await admin.post("/api/v1/policies/publish", { headers: { "content-type": "application/json" }, data: bodies.publish }), 403, "csrf_rejected");
    await expectError(await admin.post("/api/v1/policies/publish", { headers: { origin: "https://evil.example", "content-type": "application/json" }, data: bodies.publish }), 403, "csrf_rejected");
    expect((await listing()).current?.version).toBe(live.current?.version);
  });

  test("an auditor reads, validates, replays and asks what-if, but cannot publish", async () => {
    const live = await listing(auditor);
    expect(live.current, "the demo seed publishes the starter set").not.toBeNull();
    expect(live.current!.policies.map((p) => p.id)).toContain("critical-tools-two-approvers");
    expect(live.versions[0]!.version).toBe(live.current!.version);
    const v = await auditor.post("/api/v1/policies/validate", { headers: json(), data: { text: live.current!.text } });
    expect(v.status(), await v.text()).toBe(200);
    expect(await v.json()).toEqual({ valid: true, errors: [] });
    const r = await auditor.post("/api/v1/policies/replay", { headers: json(), data: { text: live.current!.text, since: new Date(Date.now() - 3600_000).toISOString() } });
    expect(r.status(), await r.text()).toBe(200);
    expect(((await r.json()) as Replay).changedTotal).toBe(0); // the live set replayed against itself
    const agents = ((await (await auditor.get("/api/v1/agents?q=repo-maintenance")).json()) as { agents: { id: string }[] }).agents;
    const w = await auditor.post("/api/v1/policies/what-if", { headers: json(), data: { call: { ...whatIfCall, agentId: agents[0]!.id, tool: "production.deploy", environment: "production" } } });
    expect(w.status(), await w.text()).toBe(200);
    const answer = (await w.json()) as WhatIf;
    expect(answer.decision).toBe("escalate");
    expect(answer.policy).toMatchObject({ version: live.current!.version, draft: false });
    expect(answer.policy.determinedBy.length).toBeGreaterThan(0);
    const before = await publishedEvents();
    await expectError(await auditor.post("/api/v1/policies/publish", { headers: json(), data: { text: live.current!.text, message: "e2e: an auditor tries" } }), 403, "forbidden");
    expect((await listing()).current!.version).toBe(live.current!.version);
    expect(await publishedEvents()).toBe(before);
  });

  test("bad input is 400 in the documented shape; an unknown agent or lease is 404", async () => {
    const bad: [string, unknown][] = [
      ["validate", {}],
      ["validate", { text: 42 }],
      ["validate", { text: "", extra: true }],
      ["publish", { text: "" }],
      ["publish", { text: "", message: "   " }],
      ["replay", { text: "", since: "yesterday" }],
      ["replay", { text: "", limit: 0 }],
      ["replay", { text: "", limit: 200_001 }],
      ["what-if", { call: { ...whatIfCall, tool: "Not A Tool" } }],
      ["what-if", { call: { ...whatIfCall, agentId: "usr_x" } }],
      ["what-if", { call: whatIfCall, text: 7 }],
      ["what-if", {}],
    ];
    for (const [route, data] of bad) {
      const body = await expectError(await admin.post(`/api/v1/policies/${route}`, { headers: json(), data }), 400, "invalid_request");
      expect(body.error.issues?.length, `${route} ${JSON.stringify(data)}`).toBeGreaterThan(0);
    }
    const notJson = await admin.post("/api/v1/policies/validate", { headers: json(), data: "{not json" });
    await expectError(notJson, 400, "invalid_request");
    await expectError(await admin.post("/api/v1/policies/what-if", { headers: json(), data: { call: whatIfCall } }), 404, "not_found");
    await expectError(await admin.post("/api/v1/policies/what-if", { headers: json(), data: { call: { tool: "repo.read", leaseId: "lse_doesnotexist" } } }), 404, "not_found");
  });

  test("an invalid text validates as errors with line and policy id, and publishing it is 422 and writes nothing", async () => {
    const live = await listing();
    const broken = `${live.current!.text}${forbidFor(`e2e-typo-${hex()}`, "agt_nobody", "repo.reed")}`;
    const v = await admin.post("/api/v1/policies/validate", { headers: json(), data: { text: broken } });
    expect(v.status()).toBe(200);
    const checked = (await v.json()) as { valid: boolean; errors: { policyId?: string; line?: number; message: string }[] };
    expect(checked.valid).toBe(false);
    expect(checked.errors[0]).toMatchObject({ policyId: expect.stringMatching(/^e2e-typo-/), line: broken.split("\n").findIndex((l) => l.startsWith("forbid(principal in Agent::\"agt_nobody\"")) + 1, message: expect.stringContaining("repo.reed") });

    const before = await publishedEvents();
    const res = await admin.post("/api/v1/policies/publish", { headers: json(), data: { text: broken, message: "e2e: must not publish" } });
    const body = await expectError(res, 422, "unprocessable");
    expect(body.error.issues?.[0]?.message).toContain("repo.reed");
    const after = await listing();
    expect(after.current!.version).toBe(live.current!.version);
    expect(after.versions.length).toBe(live.versions.length);
    expect(await publishedEvents()).toBe(before);
  });

  test("a replay is read-only and finds the decisions a draft flips; publish is 201 and the next what-if answers under it", async ({ baseURL }) => {
    const { agent } = await seedHistory(admin, baseURL!, 3);
    const live = await listing();
    const id = `e2e-api-escalate-${hex()}`;
    const draft = `${live.current!.text}${forbidFor(id, agent.id, "repo.read", `@escalate("e2e: a person looks first")`)}`;

    const r = await admin.post("/api/v1/policies/replay", { headers: json(), data: { text: draft, since: new Date(Date.now() - 3600_000).toISOString() } });
    expect(r.status(), await r.text()).toBe(200);
    const replay = (await r.json()) as Replay;
    const mine = replay.changed.filter((c) => c.agentId === agent.id);
    expect(mine).toHaveLength(3);
    for (const c of mine) expect(c).toMatchObject({ tool: "repo.read", from: "allow", to: "escalate", policyIds: [id] });
    expect(replay.byAgent[agent.id]).toBe(3);
    expect(replay.byTool["repo.read"]).toBeGreaterThanOrEqual(3);
    expect((await listing()).current!.version, "replay publishes nothing").toBe(live.current!.version);

    const draftAnswer = (await (await admin.post("/api/v1/policies/what-if", { headers: json(), data: { text: draft, call: { tool: "repo.read", agentId: agent.id, environment: "staging" } } })).json()) as WhatIf;
    expect(draftAnswer).toMatchObject({ decision: "escalate", policy: { version: null, draft: true, determinedBy: [id] } });

    const message = `e2e: escalate ${agent.name}'s reads`;
    const p = await admin.post("/api/v1/policies/publish", { headers: json(), data: { text: draft, message } });
    expect(p.status(), await p.text()).toBe(201);
    const { version } = (await p.json()) as { version: Listing["versions"][number] };
    expect(version).toMatchObject({ version: live.current!.version + 1, message, authorEmail: DEMO.admin.email });
    expect(version.policyIds).toContain(id);
    expect(version.diff.split("\n").filter((l) => l.startsWith("+")).length).toBe(4);
    expect(version.diff.split("\n").filter((l) => l.startsWith("-")).length).toBe(0);
    const after = await listing(auditor);
    expect(after.current!.version).toBe(version.version);
    expect(after.current!.policies.map((x) => x.id)).toContain(id);

    const liveAnswer = (await (await admin.post("/api/v1/policies/what-if", { headers: json(), data: { call: { tool: "repo.read", agentId: agent.id, environment: "staging" } } })).json()) as WhatIf;
    expect(liveAnswer).toMatchObject({ decision: "escalate", policy: { version: version.version, draft: false, determinedBy: [id] } });
  });
});

test.describe("Settings → Policies", () => {
  let admin: APIRequestContext;

  test.beforeAll(async ({ baseURL }) => {
    admin = await apiSession(baseURL!, DEMO.admin.email);
  });

  test.afterAll(async () => {
    await admin?.dispose();
  });

  test("an admin edits a policy, sees a validation error inline, fixes it, previews the replay, publishes, and what-if answers under it", async ({ page, baseURL }) => {
    test.setTimeout(120_000);
    const { agent } = await seedHistory(admin, baseURL!, 3);
    const id = `e2e-ui-deny-${hex()}`;

    await signIn(page, DEMO.admin.email);
    await page.goto("/settings");
    await page.getByTestId("settings-policies-link").click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Policies");
    const editor = page.getByTestId("policy-text");
    const state = page.getByTestId("validation-state");
    await expect(state).toHaveAttribute("data-state", "valid");
    const live = await editor.inputValue();
    const title = await page.getByTestId("policy-editor").getByRole("heading", { level: 2 }).textContent();
    const liveVersion = Number(/(\d+)$/.exec(title ?? "")?.[1]);
    await expect(page.getByTestId("policy-review")).toBeDisabled(); // nothing to publish yet

    // A typo: the error shows beside its line and in the list, and publishing is off.
    const typo = `${live}${forbidFor(id, agent.id, "repo.reed")}`;
    const typoLine = typo.split("\n").findIndex((l) => l.includes("repo.reed")) + 1;
    await editor.fill(typo);
    await expect(state).toHaveAttribute("data-state", "invalid");
    await expect(page.getByTestId("inline-error")).toHaveAttribute("data-line", String(typoLine));
    await expect(page.getByTestId("inline-error")).toContainText("repo.reed");
    const listed = page.getByTestId("validation-error");
    await expect(listed).toHaveCount(1);
    await expect(listed).toHaveAttribute("data-policy-id", id);
    await expect(listed).toContainText(`line ${typoLine}`);
    await expect(page.getByTestId("policy-review")).toBeDisabled();
    await expect(page.getByTestId("replay-run")).toBeDisabled();

    // Fixed: valid, and the replay shows the three past reads of this agent flipping to deny.
    await editor.fill(`${live}${forbidFor(id, agent.id)}`);
    await expect(state).toHaveAttribute("data-state", "valid");
    await expect(page.getByTestId("inline-error")).toHaveCount(0);
    await page.getByLabel("Past decisions from").selectOption("24h");
    await page.getByTestId("replay-run").click();
    const result = page.getByTestId("replay-result");
    await expect(result).toBeVisible();
    await expect(page.getByTestId("replay-by-agent").getByRole("row", { name: agent.name })).toContainText("3");
    const flipped = page.getByTestId("replay-changed").filter({ hasText: agent.name });
    await expect(flipped).toHaveCount(3);
    for (const row of await flipped.all()) {
      await expect(row).toHaveAttribute("data-from", "allow");
      await expect(row).toHaveAttribute("data-to", "deny");
      await expect(row).toContainText(id);
      await expect(row.getByRole("link", { name: /^dec_/ })).toHaveAttribute("href", /^\/runs\/run_/);
    }

    // Publish: the diff against the live version first, and a message is required.
    await page.getByTestId("policy-review").click();
    await page.screenshot({ path: "test-results/artifacts/policies-admin-review.png", fullPage: true });
    const publish = page.getByTestId("policy-publish");
    await expect(publish.getByTestId("policy-diff")).toHaveAttribute("data-added", "4");
    await expect(publish.getByTestId("policy-diff")).toHaveAttribute("data-removed", "0");
    await expect(publish.locator('[data-diff="add"]').filter({ hasText: `@id("${id}")` })).toHaveCount(1);
    await expect(publish.locator('[data-diff="fold"]').first()).toContainText("unchanged lines"); // the untouched start of the file is folded
    await expect(page.getByTestId("policy-publish-submit")).toBeDisabled();
    const message = `e2e: deny ${agent.name}'s reads`;
    await publish.getByLabel("Message").fill(message);
    await page.getByTestId("policy-publish-submit").click();
    await expect(page.getByTestId("policy-editor").getByRole("heading", { level: 2 })).toHaveText(`Published version ${liveVersion + 1}`);
    await expect(editor).toHaveValue(new RegExp(`@id\\("${id}"\\)`));
    const newest = page.getByTestId("policy-version").first();
    await expect(newest).toHaveAttribute("data-version", String(liveVersion + 1));
    await expect(newest).toContainText(message);
    await expect(newest).toContainText(DEMO.admin.email);
    await newest.getByRole("button", { name: /Show diff/ }).click();
    await expect(page.getByTestId("version-diff")).toHaveAttribute("data-added", "4");

    // What-if under the published version: denied, by the new policy.
    const whatIf = page.getByTestId("what-if");
    await whatIf.getByLabel("Agent", { exact: true }).selectOption({ label: agent.name });
    await whatIf.getByLabel("Tool", { exact: true }).selectOption("repo.read");
    await whatIf.getByLabel("Environment", { exact: true }).fill("staging");
    await whatIf.getByTestId("what-if-ask").click();
    const answer = page.getByTestId("what-if-result");
    await expect(answer).toHaveAttribute("data-decision", "deny");
    await expect(answer).toHaveAttribute("data-determined-by", id);
    await expect(answer).toContainText(`published version ${liveVersion + 1}`);
  });

  test("an auditor sees the page read-only: no editing, no publish, but what-if and history", async ({ page }) => {
    await signIn(page, DEMO.auditor.email);
    await page.goto("/settings/policies");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Policies");
    await expect(page.getByTestId("policy-read-only")).toContainText("auditor");
    const editor = page.getByTestId("policy-text");
    await expect(editor).not.toBeEditable();
    await expect(editor).toHaveValue(/critical-tools-two-approvers/);
    await expect(page.getByTestId("policy-review")).toHaveCount(0);
    await expect(page.getByTestId("replay")).toHaveCount(0);
    await expect(page.getByTestId("policy-version").first()).toBeVisible();
    const whatIf = page.getByTestId("what-if");
    await whatIf.getByLabel("Agent", { exact: true }).selectOption({ label: "repo-maintenance-agent" });
    await whatIf.getByLabel("Tool", { exact: true }).selectOption("production.deploy");
    await whatIf.getByTestId("what-if-ask").click();
    await expect(page.getByTestId("what-if-result")).toHaveAttribute("data-decision", "escalate");
    await page.screenshot({ path: "test-results/artifacts/policies-auditor.png", fullPage: true });
  });

  test("people without policies.read get the 403 panel", async ({ page }) => {
    await signIn(page, DEMO.requester.email);
    const res = await page.goto("/settings/policies");
    expect(res?.status()).toBe(403);
    const panel = page.getByTestId("forbidden");
    await expect(panel).toContainText("403 · Not allowed");
    await expect(panel).toContainText("requester");
    await expect(page.getByTestId("policy-text")).toHaveCount(0);
    await expect(page.getByRole("main")).not.toContainText("critical-tools-two-approvers");
  });
});
