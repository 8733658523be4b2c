// Settings → Connections in Chromium, and the core scenario with real parts only: the SDK's MCP
// client → the gateway (`gateway/main.ts --port 0`, as `npm run gateway` runs it) against this e2e
// Lanyard → the npm filesystem MCP server over stdio. A write that needs a step-up is held by the
// gateway, approved by a person on the approvals page, and then completes for the client.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { DEMO, apiSession, signIn } from "./support/auth";

const FS_SERVER = path.resolve("node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");
const suffix = () => randomBytes(3).toString("hex");

test.describe("Connections", () => {
  let admin: APIRequestContext;
  let origin: string;
  let dir: string;

  test.beforeAll(async ({ baseURL }) => {
    origin = new URL(baseURL!).origin;
    admin = await apiSession(baseURL!, DEMO.admin.email);
    dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), "lanyard-e2e-con-")));
    writeFileSync(path.join(dir, "hello.txt"), "hello from the e2e folder");
  });
  test.afterAll(async () => {
    await admin?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("an admin adds an upstream, tests it, maps a tool and stores a credential it never sees again", async ({ page }) => {
    test.setTimeout(90_000);
    const name = `fs-${suffix()}`;
    const envSecret = `env-${randomBytes(12).toString("hex")}`;
    const credSecret = `cred-${randomBytes(12).toString("hex")}`;

    await signIn(page, DEMO.admin.email);
    await page.goto("/settings");
    await page.getByTestId("settings-connections-link").click();
    await expect(page.getByRole("heading", { name: "Connections", level: 1 })).toBeVisible();

    const form = page.getByTestId("add-connection-form");
    await form.getByLabel("Name", { exact: true }).fill(name);
    await form.getByLabel("Command", { exact: true }).fill(process.execPath);
    await form.getByLabel("Arguments", { exact: true }).fill(`${FS_SERVER}\n${dir}`);
    await form.getByRole("button", { name: "+ Add variable" }).click();
    await form.getByLabel("Variable 1", { exact: true }).fill("SOME_TOKEN");
    await form.getByLabel("Value of SOME_TOKEN").fill(envSecret);
    await form.getByRole("button", { name: "Add connection" }).click();
    await expect(page.getByTestId("connection-added")).toContainText(name);

    const card = page.locator(`[data-testid="connection-card"][data-name="${name}"]`);
    await expect(card).toBeVisible();
    await expect(card.getByTestId("connection-command")).toContainText(FS_SERVER);
    await expect(card).toContainText("SOME_TOKEN=••••");

    // "Test it": Lanyard starts the server and lists what it offers; nothing is mapped yet.
    await card.getByTestId("connection-test").click();
    const result = card.getByTestId("connection-test-result");
    await expect(result).toHaveAttribute("data-ok", "true", { timeout: 20_000 });
    await expect(result.getByTestId("tested-tool").filter({ has: page.getByRole("cell", { name: "read_text_file", exact: true }) })).toHaveAttribute("data-mapped", "");

    // Map read_text_file to repo.read with the path as the resource, by keyboard-reachable labels.
    await card.getByTestId("connection-edit").click();
    const editor = card.getByTestId("mapping-editor");
    await editor.getByLabel("Upstream tool 1").fill("read_text_file");
    await editor.getByLabel("Catalog tool for read_text_file").selectOption("repo.read");
    await editor.getByLabel("Resource type for read_text_file").fill("path");
    await editor.getByLabel("Resource argument for read_text_file").fill("path");
    await editor.getByRole("button", { name: "Save mapping" }).click();
    await expect(card.getByTestId("mapping-row")).toHaveCount(1);
    await expect(card.getByTestId("mapping-row")).toContainText("repo.read");
    await card.getByTestId("connection-test").click();
    await expect(result.getByTestId("tested-tool").filter({ has: page.getByRole("cell", { name: "read_text_file", exact: true }) })).toHaveAttribute("data-mapped", "repo.read", { timeout: 20_000 });

    // A static credential: entered once, listed by name, its value nowhere on the page afterwards.
    await card.getByTestId("credential-add").click();
    const cred = card.getByTestId("add-credential-form");
    await cred.getByLabel("Credential name").fill("fs-token");
    await cred.getByLabel("Variable name", { exact: true }).fill("FS_TOKEN");
    await cred.getByLabel("Secret value").fill(credSecret);
    await cred.getByTestId("credential-create").click();
    const row = card.locator('[data-testid="credential-row"][data-name="fs-token"]');
    await expect(row).toContainText("env FS_TOKEN");
    await expect(row).toContainText("v1");
    await row.getByTestId("credential-rotate").click();
    await row.getByLabel("New value for fs-token").fill(`${credSecret}-2`);
    await row.getByRole("button", { name: "Rotate", exact: true }).click();
    await expect(row).toContainText("v2");
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: "test-results/artifacts/connections-mobile.png", fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });

    await page.reload();
    const html = await page.content();
    expect(html).not.toContain(envSecret);
    expect(html).not.toContain(credSecret);
    const listed = await admin.get("/api/v1/connections");
    expect(await listed.text()).not.toContain(envSecret);

    await row.getByTestId("credential-retire").click();
    await row.getByTestId("credential-retire-confirm").click();
    await expect(row).toHaveAttribute("data-retired", "true");
  });

  test("people other than admins get the 403 panel", async ({ page }) => {
    await signIn(page, DEMO.approver.email);
    await page.goto("/settings/connections");
    await expect(page.getByTestId("forbidden")).toContainText("connections.manage");
    await expect(page.getByTestId("add-connection-form")).toHaveCount(0);
  });

  test("a stock MCP client's step-up call is held by the gateway, approved in the console, then completes", async ({ page, baseURL }) => {
    test.setTimeout(150_000);
    const headers = { origin, "content-type": "application/json" };
    const made = await admin.post("/api/v1/enforcement-points", { headers, data: { name: `e2e-gateway-${suffix()}`, scopes: ["decisions:write", "escalations:write", "connections:read", "credentials:use"] } });
    expect(made.status(), await made.text()).toBe(201);
    const { key, enforcementPoint } = (await made.json()) as { key: string; enforcementPoint: { id: string } };
    const connection = `fs-${suffix()}`;
    const created = await admin.post("/api/v1/connections", {
      headers,
      data: {
        name: connection,
        transport: { type: "stdio", command: process.execPath, args: [FS_SERVER, dir] },
        tools: [
          { upstream: "read_text_file", tool: "repo.read", resource: { type: "path", argument: "path" } },
          { upstream: "write_file", tool: "repo.commit", resource: { type: "path", argument: "path" } },
        ],
        enforcementPointIds: [enforcementPoint.id],
      },
    });
    expect(created.status(), await created.text()).toBe(201);
    const agents = (await (await admin.get("/api/v1/agents?q=repo-maintenance")).json()) as { agents: { id: string; name: string }[] };
    const agent = agents.agents.find((a) => a.name === "repo-maintenance-agent")!;
    const purpose = `e2e: write the release note through the gateway ${suffix()}`;
    const issued = await admin.post("/api/v1/leases", {
      headers,
      data: {
        agentId: agent.id,
        purpose,
        environment: "staging",
        grants: [
          { tool: "repo.read", resource: { type: "path", ids: [`${dir}/*`] } },
          { tool: "repo.commit", resource: { type: "path", ids: [`${dir}/*`] } },
        ],
        requireApproval: ["repo.commit"],
        expiresIn: 1800,
        maxToolCalls: 20,
      },
    });
    expect(issued.status(), await issued.text()).toBe(201);
    const { lease, leaseToken } = (await issued.json()) as { lease: { id: string; runId: string }; leaseToken: string };

    const gateway = await startGateway(baseURL!, key);
    const client = new Client({ name: "e2e-agent", version: "1.0.0" });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(gateway.url), { requestInit: { headers: { authorization: `Bearer ${leaseToken}` } } }));
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(["read_text_file", "write_file"]);
      const read = (await client.callTool({ name: "read_text_file", arguments: { path: `${dir}/hello.txt` } })) as CallToolResult;
      expect(read.isError).toBeFalsy();

      // The write is held: the client waits (progress keeps it alive) while a person decides.
      const target = path.join(dir, "release-note.md");
      const progress: string[] = [];
      const held = client.callTool({ name: "write_file", arguments: { path: target, content: "v1.2: approved through Lanyard" } }, undefined, {
        timeout: 120_000,
        resetTimeoutOnProgress: true,
        onprogress: (p) => void progress.push(p.message ?? ""),
      }) as Promise<CallToolResult>;

      // The escalation the gateway's decision opened for this lease (the client only knows it waits).
      let escalationId = "";
      await expect
        .poll(async () => {
          const q = (await (await admin.get(`/api/v1/escalations?agentId=${agent.id}`)).json()) as { escalations: { id: string; leaseId: string; status: string }[] };
          escalationId = q.escalations.find((e) => e.leaseId === lease.id && e.status === "pending")?.id ?? "";
          return escalationId;
        }, { timeout: 20_000 })
        .not.toBe("");
      await signIn(page, DEMO.approver.email);
      await page.goto("/approvals");
      const item = page.locator(`[data-testid="queue-item"][data-escalation-id="${escalationId}"]`);
      await expect(item).toBeVisible({ timeout: 20_000 });
      await item.click();
      const detail = page.getByTestId("escalation-detail");
      await expect(detail).toContainText("repo.commit");
      // What exactly will be allowed: the MCP session and upstream tool, and (when the gateway sends them) the arguments.
      await expect(detail.getByTestId("escalation-mcp-call").getByTestId("mcp-upstream-tool")).toHaveText("write_file");
      await expect(detail.getByTestId("escalation-mcp-call").getByTestId("mcp-session")).not.toHaveText("");
      await page.screenshot({ path: "test-results/artifacts/gateway-step-up.png", fullPage: true });
      expect(readFileSync(path.join(dir, "hello.txt"), "utf8")).toBe("hello from the e2e folder");
      expect(() => readFileSync(target)).toThrow();

      await detail.getByTestId("vote-reason").fill("Writing the release note is what this run is for.");
      await detail.getByTestId("vote-approve").click();
      await expect(detail.getByTestId("escalation-status")).toHaveText("approved");

      const done = await held;
      expect(done.isError, JSON.stringify(done)).toBeFalsy();
      expect(readFileSync(target, "utf8")).toBe("v1.2: approved through Lanyard");
      expect(progress.some((m) => /approv/i.test(m))).toBe(true);

      // The run's timeline shows the calls with the MCP call behind each decision.
      await page.goto(`/runs/${lease.runId}`);
      await expect(page.getByTestId("decision-mcp").first()).toContainText(`${connection}/`);
    } finally {
      await client.close().catch(() => {});
      await gateway.stop();
    }
  });
});

/** The gateway as `npm run gateway -- --port 0` starts it, in its own process; its address from its log line. */
async function startGateway(lanyardUrl: string, key: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "gateway/main.ts", "--port", "0"], {
    env: { ...process.env, LANYARD_URL: lanyardUrl, LANYARD_GATEWAY_KEY: key },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let seen = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway did not start: ${seen}`)), 60_000);
    child.stderr!.on("data", (b: Buffer) => {
      seen += b.toString();
      const m = /MCP at (http:\/\/\S+\/mcp)/.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited (${code}): ${seen}`));
    });
  });
  return {
    url,
    stop: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null || child.signalCode !== null) return r();
        child.once("exit", () => r());
        child.kill("SIGTERM");
      }),
  };
}
