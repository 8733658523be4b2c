// npm run demo:agent — drives one realistic agent run against a running console through the public
// API only, so the run timeline, the approval queue and the dashboard come alive: a lease for
// repo-maintenance-agent, a dozen tool calls, a denial, a step-up that waits for a person, a subagent,
// completion and the receipt. Every decision goes through the typed SDK enforcement points use
// (gateway/sdk.ts: decide, guard, escalateAndWait), as a third-party tool runner would; the console
// calls (sign-in, the agent, the lease, completion) are plain HTTP.
//
//   LANYARD_URL            the console (default http://localhost:3000)
//   LANYARD_KEY            an enforcement-point key to use (else one is made as the demo admin)
//   LANYARD_DEMO_EMAIL     the person who issues the lease (default admin@example.com)
//   LANYARD_DEMO_PASSWORD  their password (default lanyard-demo)
//   LANYARD_DEMO_PACE_MS   pause between tool calls (default 900)
//   LANYARD_DEMO_WAIT_S    how long to wait for a person to decide the step-up (default 600)

import { CallDenied, createLanyardClient, LanyardRefused, LanyardUnavailable, type Decision, type ResourceRef as Resource } from "../gateway/sdk";

const BASE = (process.env.LANYARD_URL ?? "http://localhost:3000").replace(/\/+$/, "");
const ORIGIN = new URL(BASE).origin;
const EMAIL = process.env.LANYARD_DEMO_EMAIL ?? "admin@example.com";
const PASSWORD = process.env.LANYARD_DEMO_PASSWORD ?? "lanyard-demo";
const PACE_MS = Number(process.env.LANYARD_DEMO_PACE_MS ?? 900);
const WAIT_S = Number(process.env.LANYARD_DEMO_WAIT_S ?? 600);
const AGENT = "repo-maintenance-agent";
const REPO = "clord";
const BRANCH = "agent/dependency-update";

type Lease = { id: string; runId: string; status: string; expiresAt: string; maxToolCalls: number };

const tty = process.stdout.isTTY;
const paint = (code: string) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = paint("1");
const dim = paint("2");
const green = paint("32");
const red = paint("31");
const yellow = paint("33");
const cyan = paint("36");

let stepNo = 0;
const step = (title: string) => console.log(`\n${bold(`${++stepNo}. ${title}`)}`);
const info = (line: string) => console.log(`   ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class DemoError extends Error {}

/** One API call; any non-2xx stops the demo with what the server said. */
async function call<T>(method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; form?: Record<string, string>; allow?: number[]; timeoutMs?: number } = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(opts.form).toString();
  } else if (opts.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(`${BASE}${path}`, { method, headers, body, redirect: "manual", signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000) });
  } catch (err) {
    throw new DemoError(`${method} ${path}: could not reach ${BASE} (${(err as Error).message}). Is the console running? Start it with \`npm start\` or set LANYARD_URL.`);
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  if (!(res.ok || opts.allow?.includes(res.status))) {
    const err = (parsed as { error?: { code?: string; message?: string; issues?: { path: unknown[]; message: string }[] } } | null)?.error;
    const detail = err ? `${err.code}: ${err.message}${err.issues?.length ? `\n     ${err.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n     ")}` : ""}` : String(text).slice(0, 300);
    throw new DemoError(`${method} ${path} answered ${res.status} — ${detail}`);
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** Signs in through next-auth's credentials flow (CSRF token → callback) and returns the cookie header. */
async function signIn(email: string, password: string): Promise<string> {
  const jar = new Map<string, string>();
  const keep = (h: Headers) => {
    for (const c of h.getSetCookie()) {
      const pair = c.split(";")[0] ?? "";
      const at = pair.indexOf("=");
      if (at > 0) jar.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const csrf = await call<{ csrfToken: string }>("GET", "/api/auth/csrf");
  keep(csrf.headers);
  const cb = await call<unknown>("POST", "/api/auth/callback/credentials", { form: { csrfToken: csrf.body.csrfToken, email, password, json: "true" }, headers: { cookie: cookie() }, allow: [302] });
  keep(cb.headers);
  const session = await call<{ user?: { email?: string } }>("GET", "/api/auth/session", { headers: { cookie: cookie() } });
  if (session.body.user?.email !== email) throw new DemoError(`could not sign in as ${email}: check LANYARD_DEMO_PASSWORD (the console's demo password)`);
  return cookie();
}

async function main() {
  console.log(bold(`Lanyard demo: one run of ${AGENT} against ${BASE}`));

  step("Check the console is up");
  await call("GET", "/api/health");
  info(green("ok"));

  step(`Sign in as ${EMAIL}`);
  const cookie = await signIn(EMAIL, PASSWORD);
  const session = { cookie, origin: ORIGIN };
  info(green("signed in"));

  step("Enforcement-point key");
  let key = process.env.LANYARD_KEY;
  if (key) info(`using LANYARD_KEY (${key.slice(0, 10)}…)`);
  else {
    const name = `demo-agent ${new Date().toISOString().slice(0, 16).replace("T", " ")}`;
    const made = await call<{ enforcementPoint: { id: string }; key: string }>("POST", "/api/v1/enforcement-points", {
      headers: session,
      body: { name, scopes: ["decisions:write", "escalations:write", "leases:delegate", "leases:complete"] },
    });
    key = made.body.key;
    info(`made "${name}" (${made.body.enforcementPoint.id}); revoke it under Settings → Enforcement points when you are done`);
  }
  const ep = { authorization: `Bearer ${key}` };
  const lanyard = createLanyardClient({ url: BASE, key, timeoutMs: 30_000 });

  step(`Issue a lease for ${AGENT}`);
  const agents = await call<{ agents: { id: string; name: string; status: string }[] }>("GET", `/api/v1/agents?q=${encodeURIComponent(AGENT)}`, { headers: session });
  const agent = agents.body.agents.find((a) => a.name === AGENT);
  if (!agent) throw new DemoError(`agent ${AGENT} is not registered: start the console with demo data (LANYARD_SEED_DEMO=1)`);
  if (agent.status !== "active") throw new DemoError(`agent ${AGENT} is ${agent.status}; reactivate it under Agents first`);
  const issued = await call<{ lease: Lease; leaseToken: string }>("POST", "/api/v1/leases", {
    headers: session,
    body: {
      agentId: agent.id,
      purpose: "Bump lodash to 4.17.21, run the tests and merge the PR",
      taskRef: "https://tracker.example/T-1042",
      environment: "staging",
      grants: [
        { tool: "repo.read" },
        { tool: "repo.commit", resource: { type: "branch", ids: ["agent/*"] } },
        { tool: "pull_request.create", resource: { type: "repo", ids: [REPO] } },
        { tool: "pull_request.merge", resource: { type: "repo", ids: [REPO] } },
      ],
      deny: ["secrets.read", "production.deploy"],
      expiresIn: 1800,
      maxToolCalls: 40,
      maxDelegationDepth: 1,
    },
  });
  const { lease, leaseToken } = issued.body;
  if (lease.status !== "active") throw new DemoError(`the lease is ${lease.status}, not active: ${EMAIL} may not delegate this much on their own`);
  info(`lease ${cyan(lease.id)} · ${lease.maxToolCalls} calls · until ${lease.expiresAt}`);
  info(`${bold("Watch the run live:")} ${cyan(`${BASE}/runs/${lease.runId}`)}`);
  await sleep(Math.min(3000, PACE_MS * 3));

  const show = (tool: string, resource: Resource, d: Decision) => {
    const mark = d.decision === "allow" ? green("allow   ") : d.decision === "deny" ? red("deny    ") : yellow("escalate");
    info(`${mark} ${tool.padEnd(20)} ${dim(`${resource.type} ${resource.id}`.padEnd(44))} ${dim(d.reasons.map((r) => r.code).join(", "))}${d.lease ? dim(` · ${d.lease.remainingToolCalls} left`) : ""}`);
  };
  const request = (token: string, tool: string, resource: Resource, approvalId?: string) => ({ leaseToken: token, tool, resource, context: { environment: "staging" }, ...(approvalId ? { approvalId } : {}) });
  /** Asks only (the SDK's decide), for the calls the demo expects to be refused or held. */
  const decide = async (token: string, tool: string, resource: Resource, approvalId?: string): Promise<Decision> => {
    const d = await lanyard.decide(request(token, tool, resource, approvalId));
    show(tool, resource, d);
    return d;
  };
  /** An allowed call (the SDK's guard): asked first, "run" (simulated), and its outcome reported to Lanyard. */
  const work = async (token: string, tool: string, resource: Resource) => {
    try {
      await lanyard.guard(request(token, tool, resource), async (d) => {
        show(tool, resource, d);
        return { ran: tool, on: resource.id };
      });
    } catch (err) {
      if (err instanceof CallDenied) throw new DemoError(`${tool}: expected allow, got ${err.message}`);
      throw err;
    }
  };
  const must = (d: Decision, outcome: Decision["decision"], what: string) => {
    if (d.decision !== outcome) throw new DemoError(`${what}: expected ${outcome}, got ${d.decision} (${d.reasons.map((r) => `${r.code}: ${r.message}`).join("; ")})`);
  };

  step("The agent works: a dozen tool calls, each asked about first");
  const file = (path: string): Resource => ({ type: "file", id: path, attributes: { repo: REPO } });
  const branch: Resource = { type: "branch", id: BRANCH, attributes: { repo: REPO } };
  const calls: [string, Resource][] = [
    ["repo.read", file("package.json")],
    ["repo.read", file("package-lock.json")],
    ["repo.read", file("CHANGELOG.md")],
    ["repo.read", file("src/utils/merge.ts")],
    ["repo.read", file("src/utils/merge.test.ts")],
    ["repo.commit", branch],
    ["repo.read", file("src/api/client.ts")],
    ["repo.commit", branch],
    ["repo.read", file(".github/workflows/ci.yml")],
    ["repo.commit", branch],
    ["repo.read", file("README.md")],
    ["pull_request.create", { type: "repo", id: REPO, attributes: { head: BRANCH, base: "main" } }],
  ];
  for (const [tool, resource] of calls) {
    await work(leaseToken, tool, resource);
    await sleep(PACE_MS);
  }

  step("The agent reaches for a secret (denied by the lease)");
  must(await decide(leaseToken, "secrets.read", { type: "secret", id: "prod/npm-token" }), "deny", "secrets.read");
  await sleep(PACE_MS);

  step("Merging is high risk: a step-up that waits for a person");
  const merge: Resource = { type: "repo", id: REPO, attributes: { pr: "1042" } };
  const asked = await decide(leaseToken, "pull_request.merge", merge);
  must(asked, "escalate", "pull_request.merge");
  const escalationId = asked.escalationId!;
  info(`${bold("Approve or deny it as another person")} (e.g. approver@example.com; ${EMAIL} delegated this lease and may not):`);
  info(cyan(`${BASE}/approvals?escalation=${escalationId}`));
  const deadline = Date.now() + WAIT_S * 1000;
  let escalation: Awaited<ReturnType<typeof lanyard.escalateAndWait>> | null = null;
  try {
    escalation = await lanyard.escalateAndWait(escalationId, {
      pollSeconds: Math.max(1, Math.min(25, WAIT_S)),
      signal: AbortSignal.timeout(WAIT_S * 1000),
      onWait: (s) => {
        if (s > 0) info(dim(`still waiting for a person… (${Math.max(0, Math.round((deadline - Date.now()) / 1000))} s left)`));
      },
    });
  } catch (err) {
    if ((err as Error)?.name !== "TimeoutError") throw err;
  }
  if (!escalation || escalation.status === "pending") {
    info(yellow(`nobody decided within ${WAIT_S} s; the run goes on without merging`));
  } else {
    const by = escalation.approvals.map((a) => `${a.by} (${a.verdict}${a.reason ? `: “${a.reason}”` : ""})`).join(", ");
    info(`${escalation.status === "approved" ? green(escalation.status) : red(escalation.status)} by ${by || "nobody"}`);
    if (escalation.status === "approved" && escalation.approvalId) {
      const merged = await decide(leaseToken, "pull_request.merge", merge, escalation.approvalId);
      must(merged, "allow", "pull_request.merge with the approval");
      await lanyard.reportOutcome(merged.decisionId, { status: "ok", summary: "merged (simulated)" });
    }
    else info("the run goes on without merging");
  }
  await sleep(PACE_MS);

  step("A subagent checks the changelog with a smaller lease (read-only)");
  const child = await call<{ lease: Lease; leaseToken: string }>("POST", `/api/v1/leases/${lease.id}/delegate`, {
    headers: ep,
    body: { leaseToken, agentId: agent.id, purpose: "Subagent: check the upstream changelog for breaking changes", grants: [{ tool: "repo.read" }], expiresIn: 600, maxToolCalls: 5 },
  });
  info(`subagent lease ${cyan(child.body.lease.id)} · run ${child.body.lease.runId} · ${child.body.lease.maxToolCalls} calls`);
  await sleep(PACE_MS);
  for (const path of ["CHANGELOG.md", "docs/migration.md"]) {
    await work(child.body.leaseToken, "repo.read", file(path));
    await sleep(PACE_MS);
  }
  // Attenuation holds: the subagent was given no commit right.
  must(await decide(child.body.leaseToken, "repo.commit", branch), "deny", "subagent repo.commit");
  await sleep(PACE_MS);
  // Outcomes are reported off the call's path: deliver them before the receipt is written.
  await lanyard.flush();
  const childDone = await call<{ receipt: { digest: string } }>("POST", `/api/v1/leases/${child.body.lease.id}/complete`, { headers: ep, body: { leaseToken: child.body.leaseToken } });
  info(`subagent done · receipt digest ${dim(childDone.body.receipt.digest)}`);

  step("The run is done: complete the lease");
  await lanyard.flush();
  const done = await call<{ lease: Lease; receipt: { digest: string; toolCalls: unknown[]; denied: unknown[]; approvers: string[] } }>("POST", `/api/v1/leases/${lease.id}/complete`, { headers: ep, body: { leaseToken } });
  const r = done.body.receipt;
  info(`lease ${done.body.lease.status} · ${r.toolCalls.length} tool calls · ${r.denied.length} denied · approvers: ${r.approvers.join(", ") || "none"}`);
  info(`receipt digest  ${bold(r.digest)}`);
  info(`receipt         ${cyan(`${BASE}/leases/${lease.id}/receipt`)}`);
  info(`run timeline    ${cyan(`${BASE}/runs/${lease.runId}`)}`);
  info(`dashboard       ${cyan(`${BASE}/`)}`);
}

main().catch((err: unknown) => {
  const plain = err instanceof DemoError || err instanceof LanyardUnavailable || err instanceof LanyardRefused;
  console.error(`\n${red("demo stopped:")} ${plain ? (err as Error).message : err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
