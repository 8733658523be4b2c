import { randomBytes } from "node:crypto";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { DEMO, apiSession, signIn } from "./support/auth";
import { enforcementPoint } from "./support/enforcement-point";

type Decision = { decision: "allow" | "deny" | "escalate"; decisionId: string; reasons: { code: string; message: string }[]; escalationId: string | null };
type Escalation = { id: string; status: string; approvalId: string | null; approvals: { by: string; verdict: string; reason: string }[] };

test.describe("Approval queue", () => {
  let admin: APIRequestContext;
  let ep: APIRequestContext;
  let origin: string;

  test.beforeAll(async ({ baseURL }) => {
    origin = new URL(baseURL!).origin;
    admin = await apiSession(baseURL!, DEMO.admin.email);
    ep = await enforcementPoint(admin, baseURL!, "e2e-approvals", ["decisions:write", "escalations:write", "leases:request"]);
  });

  test.afterAll(async () => {
    await Promise.all([admin?.dispose(), ep?.dispose()]);
  });

  test("a step-up travels from the enforcement point to the approver and back", async ({ page }) => {
    test.setTimeout(90_000);

    // The approver has the queue open before anything is asked.
    await signIn(page, DEMO.approver.email);
    await page.goto("/approvals");
    await expect(page.getByRole("heading", { name: "Approvals", level: 1 })).toBeVisible();
    await expect(page.getByTestId("stream-state")).toHaveAttribute("data-state", "live");
    await expect(page.getByTestId("shortcuts")).toContainText("approve");
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));

    // The admin delegates a lease for one run of the seeded agent.
    const agents = (await (await admin.get("/api/v1/agents?q=repo-maintenance")).json()) as { agents: { id: string; name: string }[] };
    const agent = agents.agents.find((a) => a.name === "repo-maintenance-agent");
    expect(agent, "seeded agent").toBeTruthy();
    const purpose = `e2e: merge the dependency update ${randomBytes(3).toString("hex")}`;
    const issued = await admin.post("/api/v1/leases", {
      headers: { origin, "content-type": "application/json" },
      data: {
        agentId: agent!.id,
        purpose,
        environment: "staging",
        grants: [{ tool: "repo.read" }, { tool: "pull_request.merge", resource: { type: "repo", ids: ["clord"] } }],
        deny: ["production.deploy"],
        expiresIn: 1800,
        maxToolCalls: 20,
      },
    });
    expect(issued.status(), await issued.text()).toBe(201);
    const { lease, leaseToken } = (await issued.json()) as { lease: { id: string; status: string }; leaseToken: string };
    expect(lease.status).toBe("active");

    const decide = async (data: Record<string, unknown>): Promise<Decision> => {
      const res = await ep.post("/api/v1/decisions", { data: { leaseToken, ...data } });
      expect(res.status(), await res.text()).toBe(200);
      return (await res.json()) as Decision;
    };

    // What the agent already did: one call that policy refused.
    const denied = await decide({ tool: "production.deploy", resource: { type: "environment", id: "production" } });
    expect(denied.decision).toBe("deny");
    expect(denied.reasons.map((r) => r.code)).toContain("tool_denied");

    // The high-risk call waits for a person.
    const merge = { tool: "pull_request.merge", resource: { type: "repo", id: "clord" } };
    const asked = await decide(merge);
    expect(asked.decision).toBe("escalate");
    const escalationId = asked.escalationId!;
    expect(escalationId).toMatch(/^esc_/);

    // It appears in the open queue without a reload.
    const item = page.locator(`[data-testid="queue-item"][data-escalation-id="${escalationId}"]`);
    await expect(item).toBeVisible({ timeout: 5_000 });
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    await expect(item).toContainText("repo-maintenance-agent");
    await expect(item).toContainText("pull_request.merge on repo clord");
    await expect(item.getByTestId("risk-badge")).toHaveText("high");
    await expect(item.getByTestId("countdown")).toContainText(/\d+:\d\d left/);

    await item.click();
    const detail = page.getByTestId("escalation-detail");
    await expect(detail).toHaveAttribute("data-escalation-id", escalationId);
    await expect(detail).toContainText("repo-maintenance-agent wants to call pull_request.merge on repo clord");
    await expect(detail).toContainText(purpose);
    await expect(detail).toContainText(DEMO.admin.email);
    await expect(detail.getByTestId("escalation-status")).toHaveText("pending");
    await expect(detail.getByTestId("approvals-progress")).toHaveText("0 of 1 approval");
    await expect(detail.getByTestId("approval-effect")).toHaveText("Approving lets repo-maintenance-agent call pull_request.merge on repo clord once, within 5 minutes.");
    await expect(detail.getByTestId("escalation-budget")).toContainText("0 / 20");

    // The denial is in "What the agent already did", marked as such.
    const recent = detail.getByTestId("recent-decisions");
    const denial = recent.locator('[data-testid="recent-decision"][data-outcome="deny"]');
    await expect(denial).toHaveCount(1);
    await expect(denial).toContainText("production.deploy");
    await expect(denial).toContainText("tool_denied");
    await expect(recent.getByTestId("recent-denied-count")).toContainText("1 of the last");

    await page.screenshot({ path: "test-results/artifacts/approvals-queue.png", fullPage: true });

    // Keyboard: d and a move focus to the buttons; the UI asks for a reason before a deny.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press("d");
    await expect(detail.getByTestId("vote-deny")).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(detail.getByTestId("vote-error")).toContainText("Give a reason to deny");
    await expect(detail.getByTestId("escalation-status")).toHaveText("pending");
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press("a");
    await expect(detail.getByTestId("vote-approve")).toBeFocused();

    // The enforcement point waits on the long-poll while the approver decides.
    const waited = ep.get(`/api/v1/escalations/${escalationId}?waitSeconds=20`, { timeout: 30_000 });
    await detail.getByTestId("vote-reason").fill("Tests are green; merging the dependency bump is expected for this run.");
    await detail.getByTestId("vote-approve").click();
    // A high-risk approval asks, in place, for a fresh proof (issue 17): this approver has no passkey.
    await detail.getByTestId("reauth-password").fill("lanyard-demo");
    await detail.getByTestId("reauth-password-submit").click();

    await expect(detail.getByTestId("escalation-status")).toHaveText("approved");
    await expect(detail.getByTestId("escalation-decided")).toContainText(`Decided (approved) by ${DEMO.approver.email} at`);
    await expect(page.getByTestId("vote-error")).toHaveCount(0);

    const res = await waited;
    expect(res.status(), await res.text()).toBe(200);
    const { escalation } = (await res.json()) as { escalation: Escalation };
    expect(escalation.status).toBe("approved");
    expect(escalation.approvalId).toMatch(/^apr_/);
    expect(escalation.approvals).toEqual([expect.objectContaining({ by: DEMO.approver.email, verdict: "approve" })]);

    // The approval lets exactly this call through, once.
    const allowed = await decide({ ...merge, approvalId: escalation.approvalId });
    expect(allowed.decision, JSON.stringify(allowed.reasons)).toBe("allow");

    // The decided request is in the history, with who decided it.
    await page.getByTestId("tab-history").click();
    const row = page.locator(`[data-testid="history-row"][data-escalation-id="${escalationId}"]`);
    await expect(row).toBeVisible();
    await expect(row).toContainText(DEMO.approver.email);
    await expect(row.getByTestId("history-status")).toHaveText(/approved|consumed/);
  });
});
