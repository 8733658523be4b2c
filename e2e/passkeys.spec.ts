import { expect, test, type APIRequestContext } from "@playwright/test";
import { DEMO, apiSession, signIn } from "./support/auth";
import { enforcementPoint } from "./support/enforcement-point";

type AuditEvent = { action: string; actorLabel: string | null; payload: Record<string, unknown> };

// Issue 17: a passkey registered in /profile with Chromium's virtual authenticator, then used in place
// to approve a critical request. The console is opened as http://localhost (a secure context; WebAuthn
// refuses an IP address as RP id), which playwright.config.ts's baseURL already is.
test.describe("Passkeys and proof of presence", () => {
  let admin: APIRequestContext;
  let approver: APIRequestContext;
  let ep: APIRequestContext;
  let origin: string;

  test.beforeAll(async ({ baseURL }) => {
    origin = new URL(baseURL!).origin;
    admin = await apiSession(baseURL!, DEMO.admin.email);
    approver = await apiSession(baseURL!, DEMO.approver.email);
    ep = await enforcementPoint(admin, baseURL!, "e2e-passkeys", ["decisions:write", "escalations:write"]);
  });

  test.afterAll(async () => {
    await Promise.all([admin?.dispose(), approver?.dispose(), ep?.dispose()]);
  });

  test("register a passkey in the profile, then approve a critical request with it", async ({ page }) => {
    test.setTimeout(90_000);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });

    await signIn(page, DEMO.approver2.email);
    await page.getByTestId("profile-link").click();
    await expect(page.getByRole("heading", { name: "Profile", level: 1 })).toBeVisible();
    await page.getByTestId("passkey-new-name").fill("e2e laptop");
    await page.getByTestId("passkey-add").click();
    // Adding a passkey first asks for a fresh proof (the password here): the session alone must not mint one.
    const proveFirst = page.getByTestId("passkeys").getByTestId("reauth-prompt");
    await proveFirst.getByTestId("reauth-password").fill("lanyard-demo");
    await proveFirst.getByTestId("reauth-password-submit").click();
    await expect(page.getByTestId("passkey-name")).toHaveText(["e2e laptop"]);
    const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
    expect(credentials).toHaveLength(1);
    // That password proof stays fresh for this session for 5 minutes; a new session starts without one,
    // so the approval below has to ask, and the passkey is what answers.
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/sign-in/);
    await signIn(page, DEMO.approver2.email);

    // A critical call (two approvers): the first approves over the API after proving presence by password.
    const agents = (await (await admin.get("/api/v1/agents?q=repo-maintenance")).json()) as { agents: { id: string; name: string }[] };
    const agent = agents.agents.find((a) => a.name === "repo-maintenance-agent")!;
    const issued = await admin.post("/api/v1/leases", {
      headers: { origin, "content-type": "application/json" },
      data: { agentId: agent.id, purpose: "e2e: deploy the hotfix", environment: "staging", grants: [{ tool: "production.deploy" }], expiresIn: 1800, maxToolCalls: 5 },
    });
    expect(issued.status(), await issued.text()).toBe(201);
    const { leaseToken } = (await issued.json()) as { leaseToken: string };
    const asked = (await (await ep.post("/api/v1/decisions", { data: { leaseToken, tool: "production.deploy" } })).json()) as { decision: string; escalationId: string };
    expect(asked.decision).toBe("escalate");
    const escalationId = asked.escalationId;

    const vote = { headers: { origin, "content-type": "application/json" }, data: { verdict: "approve", reason: "hotfix reviewed" } };
    const refused = await approver.post(`/api/v1/escalations/${escalationId}/votes`, vote);
    expect(refused.status()).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("reauth_required");
    const proved = await approver.post("/api/v1/me/reauth", { headers: vote.headers, data: { method: "password", password: "lanyard-demo" } });
    expect(proved.status(), await proved.text()).toBe(200);
    expect(((await proved.json()) as { method: string }).method).toBe("password");
    const first = await approver.post(`/api/v1/escalations/${escalationId}/votes`, vote);
    expect(first.status(), await first.text()).toBe(200);

    // The second approver decides in the console: Approve asks for the passkey in place, then votes.
    await page.goto("/approvals");
    const item = page.locator(`[data-testid="queue-item"][data-escalation-id="${escalationId}"]`);
    await item.click();
    const detail = page.getByTestId("escalation-detail");
    await expect(detail).toHaveAttribute("data-escalation-id", escalationId);
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
    await detail.getByTestId("vote-reason").fill("Second pair of eyes: the hotfix diff is what the ticket says.");
    await detail.getByTestId("vote-approve").click();
    const prompt = detail.getByTestId("reauth-prompt");
    await expect(prompt).toBeVisible();
    await prompt.getByTestId("reauth-passkey").click();
    await expect(detail.getByTestId("escalation-status")).toHaveText("approved");
    await expect(page.getByTestId("vote-error")).toHaveCount(0);
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);

    // The votes say which proof each approver gave; the authenticator's counter moved.
    const events = (await (await admin.get(`/api/v1/audit/events?escalationId=${escalationId}&action=escalation.voted`)).json()) as { events: AuditEvent[] };
    const proofs = Object.fromEntries(events.events.map((e) => [e.actorLabel, e.payload.proof]));
    expect(proofs).toEqual({ [DEMO.approver.email]: "password", [DEMO.approver2.email]: "passkey" });
    const after = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
    expect(after.credentials[0]!.signCount).toBeGreaterThan(0);
  });
});
