// Bad input of every class the hostile test found (NUL, lone surrogates, runaway nesting, dates outside
// PostgreSQL's range, a cursor beyond bigint, an expiry beyond Date's range) answers 400 in the
// documented shape: never a 500, never a connection reset mid-export. Fuzzed with fast-check so the
// classes stay fixed.
import fc from "fast-check";
import { NextRequest } from "next/server";
import { beforeAll, describe, expect, it } from "vitest";
import { POST as decisionsPost } from "@/app/api/v1/decisions/route";
import { POST as escalationsPost } from "@/app/api/v1/escalations/route";
import { POST as leasesPost } from "@/app/api/v1/leases/route";
import { POST as delegatePost } from "@/app/api/v1/leases/[id]/delegate/route";
import { withApi } from "@/lib/api/handler";
import { MAX_JSON_DEPTH } from "@/lib/api/limits";
import { operations } from "@/lib/api/operations";
import { exportStream } from "@/lib/audit/export";
import { listAuditEvents } from "@/lib/audit/explore";
import { seqBound } from "@/lib/audit/verify";
import { db } from "@/lib/db";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";

type Handler = (req: NextRequest, ctx: { params: Promise<unknown> }) => Promise<Response>;
const json = { "content-type": "application/json" };
let key: string;
let epId: string;
let leaseToken: string;
let leaseId: string;
let agentId: string;
let requester: string;

const post = (h: Handler, url: string, body: string, params: Record<string, string> = {}) =>
  h(new NextRequest(`http://localhost${url}`, { method: "POST", body, headers: { ...json, authorization: `Bearer ${key}` } }), { params: Promise.resolve(params) });
const get = (h: Handler, url: string) => h(new NextRequest(`http://localhost${url}`, { headers: { authorization: `Bearer ${key}` } }), { params: Promise.resolve({}) });

// The audit routes take a console session, which only Next's request scope can carry: the same
// operations (schemas) and the same lib calls as the routes, opened to the test's key instead.
const asKey = <T extends object>(op: T) => ({ ...op, auth: "enforcement-point" as const, scope: "decisions:write" as const });
const exportRoute = withApi(asKey(operations.exportAudit), async ({ query }) => {
  const { format, ...filters } = query;
  return new Response(exportStream(filters, format));
});
const eventsRoute = withApi(asKey(operations.listAuditEvents), ({ query }) => listAuditEvents(db(), query));
const verifyBoundsRoute = withApi(asKey(operations.verifyAudit), async ({ query }) => ({
  from: String(await seqBound(db(), query.from, "from")),
  to: String(await seqBound(db(), query.to, "to")),
}));

beforeAll(async () => {
  const ep = await seedEnforcementPoint(db());
  key = ep.key;
  epId = ep.actor.id;
  const l = await seedLease(db(), { maxDelegationDepth: 1, maxToolCalls: 5_000 });
  leaseToken = l.leaseToken;
  leaseId = l.lease.id;
  agentId = (await seedAgent(db())).id;
  requester = (await seedPerson(db())).email;
});

/** A 400 in the documented shape; the body is read to its end (a reset would throw here). */
async function expect400(res: Response, what: string) {
  const text = await res.text();
  expect(res.status, `${what}: ${text.slice(0, 200)}`).toBe(400);
  expect(res.headers.get("content-type"), what).toMatch(/application\/json/);
  const body = JSON.parse(text);
  expect(body.error.code, what).toBe("invalid_request");
  expect(typeof body.error.message, what).toBe("string");
  return body;
}

const decisionBody = (extra: object) => JSON.stringify({ leaseToken, tool: "repo.read", ...extra });
const leaseBody = (extra: object) =>
  JSON.stringify({ agentId, purpose: "hostile input", requestedBy: requester, environment: "staging", grants: [{ tool: "repo.read" }], expiresIn: 600, maxToolCalls: 5, ...extra });
const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

describe("bad strings in bodies", () => {
  it.each([
    ["NUL in context", () => decisionBody({ context: { note: "a\u0000b" } })],
    ["a lone high surrogate in context", () => decisionBody({ context: { note: "x\ud800" } })],
    ["a lone low surrogate in resource attributes", () => decisionBody({ resource: { type: "repo", id: "r1", attributes: { owner: "\udc00y" } } })],
    ["NUL in a context key", () => decisionBody({ context: { "k\u0000": 1 } })],
    ["NUL deep in an array", () => decisionBody({ context: { list: [1, [2, ["\u0000"]]] } })],
    ["NUL in a resource id", () => decisionBody({ resource: { type: "repo", id: "r\u0000" } })],
  ])("decisions: %s → 400, no decision written", async (name, body) => {
    // Bodies are made here, not when the table is: the lease and agent exist only after beforeAll.
    const before = await db().decision.count({ where: { enforcementPointId: epId } });
    const res = await expect400(await post(decisionsPost, "/api/v1/decisions", body()), name);
    expect(res.error.message).toMatch(/NUL|surrogate/);
    expect(await db().decision.count({ where: { enforcementPointId: epId } })).toBe(before);
  });

  it.each([
    ["NUL in purpose", () => leaseBody({ purpose: "fix\u0000it" })],
    ["a lone surrogate in taskRef", () => leaseBody({ taskRef: "JIRA-\ud83d" })],
  ])("lease requests: %s → 400", async (name, body) => {
    expect((await expect400(await post(leasesPost, "/api/v1/leases", body()), name)).error.message).toMatch(/NUL|surrogate/);
  });

  it("escalations: NUL in the justification → 400", async () => {
    await expect400(await post(escalationsPost, "/api/v1/escalations", JSON.stringify({ leaseToken, kind: "step_up", tool: "repo.read", justification: "please\u0000" })), "escalation");
  });

  it("well-formed non-ASCII (a surrogate pair, accents) is accepted", async () => {
    const res = await post(decisionsPost, "/api/v1/decisions", decisionBody({ context: { note: "déjà vu 😀" } }));
    expect(res.status).toBe(200);
  });
});

describe("nesting", () => {
  it("context nested 20,000 deep → 400, not a stack overflow", async () => {
    const body = `{"leaseToken":${JSON.stringify(leaseToken)},"tool":"repo.read","context":{"deep":${nested(20_000)}}}`;
    const res = await expect400(await post(decisionsPost, "/api/v1/decisions", body), "20,000 deep");
    expect(res.error.message).toMatch(new RegExp(`deeper than ${MAX_JSON_DEPTH}`));
  });

  it(`a body exactly ${MAX_JSON_DEPTH} levels deep is accepted; one more is refused`, async () => {
    // body (1) → context (2) → deep (3): the arrays make up the rest.
    const at = (levels: number) => `{"leaseToken":${JSON.stringify(leaseToken)},"tool":"repo.read","context":{"deep":${nested(levels - 2)}}}`;
    expect((await post(decisionsPost, "/api/v1/decisions", at(MAX_JSON_DEPTH))).status).toBe(200);
    await expect400(await post(decisionsPost, "/api/v1/decisions", at(MAX_JSON_DEPTH + 1)), "one level too deep");
  });
});

describe("numbers beyond what the store can hold", () => {
  it("delegate with expiresIn 9e12 → 400 (it would be an invalid date)", async () => {
    const body = JSON.stringify({ leaseToken, agentId, purpose: "sub", grants: [{ tool: "repo.read" }], expiresIn: 9e12, maxToolCalls: 1 });
    const res = await expect400(await post(delegatePost, `/api/v1/leases/${leaseId}/delegate`, body, { id: leaseId }), "expiresIn 9e12");
    expect(res.error.issues[0].path).toEqual(["expiresIn"]);
  });

  it("a lease request with maxToolCalls beyond 32 bits → 400", async () => {
    await expect400(await post(leasesPost, "/api/v1/leases", leaseBody({ maxToolCalls: 9e12 })), "maxToolCalls 9e12");
  });
});

describe("audit filters are all checked before the export stream starts", () => {
  const none = "runId=run_none_such_d";
  const cases: [string, string][] = [
    ["from year 0", `from=0000-01-01T00:00:00Z`],
    ["to year 0", `to=0000-01-01T00:00:00Z`],
    ["from before 1970", `from=1969-12-31T23:59:59Z`],
    ["from at Date's minimum", `from=-271821-04-20T00:00:00Z`],
    ["to at Date's maximum", `to=%2B275760-09-13T00:00:00Z`],
    ...["actor", "agentId", "runId", "leaseId", "escalationId", "decisionId", "tool", "outcome", "action", "q"].map((f): [string, string] => [`NUL in ${f}`, `${f}=a%00b`]),
  ];
  it.each(cases)("export: %s → 400, not a reset mid-response", async (name, qs) => {
    await expect400(await get(exportRoute, `/api/v1/audit/export?${none}&${qs}`), name);
  });

  it("the same filters on the events list → 400; a cursor beyond bigint → 400", async () => {
    for (const [name, qs] of cases) await expect400(await get(eventsRoute, `/api/v1/audit/events?${none}&${qs}`), name);
    await expect400(await get(eventsRoute, `/api/v1/audit/events?cursor=9999999999999999999`), "cursor 9999999999999999999");
    for (const cursor of ["abc", "-1", "1e3", "12345678901234567890123"]) await expect400(await get(eventsRoute, `/api/v1/audit/events?cursor=${cursor}`), `cursor ${cursor}`);
    const top = await get(eventsRoute, `/api/v1/audit/events?${none}&cursor=9223372036854775807`);
    expect(top.status).toBe(200);
  });

  it("verify bounds: dates outside 1970–9999 and seqs beyond bigint → 400", async () => {
    for (const v of ["-271821-04-20T00:00:00Z", "0000-01-01T00:00:00Z", "99999999999999999999", "9999999999999999999", "yesterday"]) {
      await expect400(await get(verifyBoundsRoute, `/api/v1/audit/verify?from=${encodeURIComponent(v)}`), `verify from=${v}`);
    }
    expect((await get(verifyBoundsRoute, `/api/v1/audit/verify?from=2026-01-01T00:00:00Z&to=2026-01-02`)).status).toBe(200);
  });

  it("a sane filter still streams to the end", async () => {
    const res = await get(exportRoute, `/api/v1/audit/export?${none}&from=2020-01-01T00:00:00Z&q=lease`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });
});

describe("fuzzed", () => {
  // Strings made of the characters that trouble PostgreSQL, mixed with ordinary ones.
  const nasty = fc.string({ unit: fc.constantFrom("a", "é", "\u0000", "\ud800", "\udfff", "😀", "%", "\\", '"', "'", " "), minLength: 1, maxLength: 12 });
  const jsonWith = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: "small", maxDepth: 4 }, nasty, fc.integer(), fc.boolean(), fc.constant(null), tie("array"), tie("object")),
    array: fc.array(tie("value"), { maxLength: 4 }),
    object: fc.dictionary(nasty, tie("value"), { maxKeys: 4 }),
  })).value;
  const bad = (v: unknown): boolean =>
    typeof v === "string" ? /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(v) : v !== null && typeof v === "object" && Object.entries(v).some(([k, x]) => bad(k) || bad(x));

  it("decisions: any context or attribute is a 200 or a 400 in the documented shape, and a bad string is always a 400", async () => {
    await fc.assert(
      fc.asyncProperty(jsonWith, nasty, async (context, attr) => {
        const res = await post(decisionsPost, "/api/v1/decisions", decisionBody({ context: { x: context }, resource: { type: "repo", id: "r1", attributes: { a: attr } } }));
        const body = await res.json();
        if (bad(context) || bad(attr)) expect(res.status).toBe(400);
        else expect(res.status).toBe(200);
        if (res.status === 400) expect(body.error.code).toBe("invalid_request");
      }),
      { numRuns: 60 },
    );
  });

  it("audit filters: any text or time is a 200 streamed to its end or a 400, never a 500 or a reset", async () => {
    const time = fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom("0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1970-01-01T00:00:00Z"));
    const field = fc.constantFrom("actor", "agentId", "runId", "leaseId", "escalationId", "decisionId", "tool", "outcome", "action", "q", "from", "to");
    await fc.assert(
      fc.asyncProperty(field, nasty, time, async (name, text, t) => {
        const value = name === "from" || name === "to" ? t : text;
        const qs = new URLSearchParams({ runId: "run_none_such_d", [name]: value });
        for (const route of [exportRoute, eventsRoute]) {
          const res = await get(route, `/api/v1/audit/x?${qs}`);
          const body = await res.text(); // a reset would throw here
          expect([200, 400], body.slice(0, 200)).toContain(res.status);
        }
      }),
      { numRuns: 60 },
    );
  });
});
