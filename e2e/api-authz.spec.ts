import { randomBytes } from "node:crypto";
import { expect, request as playwrightRequest, test, type APIRequestContext, type APIResponse } from "@playwright/test";
import { DEMO, apiSession } from "./support/auth";

type ErrorBody = { error: { code: string; message: string } };

async function expectError(res: APIResponse, status: number, code: string): Promise<ErrorBody> {
  expect(res.status(), `${res.url()} → ${await res.text()}`).toBe(status);
  expect(res.headers()["content-type"]).toMatch(/^application\/json/);
  const body = (await res.json()) as ErrorBody;
  expect(body).toEqual({ error: { code, message: expect.any(String) } });
  expect(body.error.message.length).toBeGreaterThan(0);
  return body;
}

const agentBody = (ownerId: string) => ({
  name: `e2e-authz-${randomBytes(3).toString("hex")}`,
  description: "made by the api-authz e2e spec",
  ownerId,
  environments: ["staging"],
  ceiling: { tools: ["repo.read"], maxExpiresIn: 3600, maxToolCalls: 100 },
});

test.describe("API authorization", () => {
  let origin: string;
  let admin: APIRequestContext;
  let maya: APIRequestContext;
  let anonymous: APIRequestContext;
  let people: { id: string; email: string; role: string }[];

  test.beforeAll(async ({ baseURL }) => {
    origin = new URL(baseURL!).origin;
    admin = await apiSession(baseURL!, DEMO.admin.email);
    maya = await apiSession(baseURL!, DEMO.requester.email);
    anonymous = await playwrightRequest.newContext({ baseURL });
    const res = await admin.get("/api/v1/people");
    expect(res.status()).toBe(200);
    people = ((await res.json()) as { people: typeof people }).people;
  });

  test.afterAll(async () => {
    await Promise.all([admin?.dispose(), maya?.dispose(), anonymous?.dispose()]);
  });

  const json = () => ({ origin, "content-type": "application/json" });
  const idOf = (email: string) => people.find((p) => p.email === email)!.id;

  test("a requester cannot reach admin APIs: 403 JSON, and nothing changes", async () => {
    const agent = agentBody(idOf(DEMO.requester.email));
    await expectError(await maya.post("/api/v1/agents", { headers: json(), data: agent }), 403, "forbidden");
    await expectError(await maya.post("/api/v1/enforcement-points", { headers: json(), data: { name: "maya-gateway", scopes: ["decisions:write"] } }), 403, "forbidden");
    await expectError(await maya.patch(`/api/v1/people/${idOf(DEMO.requester.email)}`, { headers: json(), data: { role: "admin" } }), 403, "forbidden");
    await expectError(await maya.get("/api/v1/people"), 403, "forbidden");
    await expectError(await maya.get("/api/v1/enforcement-points"), 403, "forbidden");

    // Seen by the admin: maya is still a requester, no agent or key was made.
    const after = ((await (await admin.get("/api/v1/people")).json()) as { people: typeof people }).people;
    expect(after.find((p) => p.email === DEMO.requester.email)?.role).toBe("requester");
    const agents = (await (await admin.get(`/api/v1/agents?q=${agent.name}`)).json()) as { agents: { name: string }[] };
    expect(agents.agents.map((a) => a.name)).not.toContain(agent.name);
    const eps = (await (await admin.get("/api/v1/enforcement-points")).json()) as { enforcementPoints: { name: string }[] };
    expect(eps.enforcementPoints.map((e) => e.name)).not.toContain("maya-gateway");
  });

  test("the requester can still read what her role allows", async () => {
    const res = await maya.get("/api/v1/agents");
    expect(res.status()).toBe(200);
    const body = (await res.json()) as { agents: { name: string }[] };
    expect(body.agents.map((a) => a.name)).toContain("repo-maintenance-agent");
  });

  test("console writes without a same-origin Origin are refused as CSRF, even for the admin", async () => {
    const agent = agentBody(idOf(DEMO.admin.email));
    const cases: Record<string, Record<string, string>> = {
      "no Origin": { "content-type": "application/json" },
      "Origin: null": { origin: "null", "content-type": "application/json" },
      "a foreign Origin": { origin: "https://evil.example", "content-type": "application/json" },
      "a look-alike Origin": { origin: `${origin}.evil.example`, "content-type": "application/json" },
    };
    for (const [name, headers] of Object.entries(cases)) {
      await test.step(name, async () => {
        await expectError(await admin.post("/api/v1/agents", { headers, data: agent }), 403, "csrf_rejected");
      });
    }
    await expectError(await maya.post("/api/v1/agents", { headers: { origin: "https://evil.example", "content-type": "application/json" }, data: agent }), 403, "csrf_rejected");
    const listed = (await (await admin.get(`/api/v1/agents?q=${agent.name}`)).json()) as { agents: { name: string }[] };
    expect(listed.agents.map((a) => a.name)).not.toContain(agent.name);

    // The same request from the console's own origin goes through: the check is not refusing everything.
    const ok = await admin.post("/api/v1/agents", { headers: json(), data: agent });
    expect(ok.status(), await ok.text()).toBe(201);
    expect(((await ok.json()) as { agent: { name: string } }).agent.name).toBe(agent.name);
  });

  test("unauthenticated calls answer 401 JSON", async () => {
    await expectError(await anonymous.get("/api/v1/agents"), 401, "unauthenticated");
    await expectError(await anonymous.get("/api/v1/people"), 401, "unauthenticated");
    await expectError(await anonymous.post("/api/v1/agents", { headers: json(), data: agentBody(idOf(DEMO.admin.email)) }), 401, "unauthenticated");
  });

  test("the decision endpoint wants an enforcement-point key", async () => {
    const data = { leaseToken: "x", tool: "repo.read" };
    await expectError(await anonymous.post("/api/v1/decisions", { headers: { "content-type": "application/json" }, data }), 401, "unauthenticated");
    await expectError(
      await anonymous.post("/api/v1/decisions", { headers: { "content-type": "application/json", authorization: "Bearer lyd_ep_not-a-real-key" }, data }),
      401,
      "unauthenticated",
    );
    // A signed-in person's cookie is not an enforcement-point key.
    await expectError(await admin.post("/api/v1/decisions", { headers: json(), data }), 401, "unauthenticated");
  });

  test("security headers on a page and on an API response", async () => {
    for (const path of ["/sign-in", "/api/health", "/api/v1/agents"]) {
      await test.step(path, async () => {
        const res = await anonymous.get(path);
        const h = res.headers();
        expect(h["content-security-policy"], path).toContain("frame-ancestors 'none'");
        expect(h["x-content-type-options"], path).toBe("nosniff");
        expect(h["referrer-policy"], path).toBeTruthy();
        expect(h["x-powered-by"], path).toBeUndefined();
      });
    }
    const page = (await anonymous.get("/sign-in")).headers()["content-security-policy"]!;
    expect(page).toMatch(/script-src [^;]*'nonce-/);
    expect(page).not.toContain("'unsafe-eval'");
  });
});
