// Policies against the real database. Test files share it and run in parallel, so every policy
// published here is scoped to this file's own agents (principal in Agent::"…"): other files' calls
// are never forbidden by them, whichever version is live when they run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "@/lib/generated/prisma/client";
import { explainDecision } from "@/lib/audit/explain";
import { can } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { createHotPath } from "@/lib/decisions/hot-path";
import { AppError } from "@/lib/errors";
import { stopListening } from "@/lib/events/bus";
import { listPolicies, publishPolicy, validatePolicyText } from "@/lib/policy/store";
import { whatIf } from "@/lib/policy/what-if";
import { castVote } from "@/lib/escalations/vote";
import { forgetToolCatalog } from "@/lib/tools/catalog";
import { seedCatalog } from "@/prisma/seed";
import { createHotPool } from "@/server/index";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";
import { takeTurnsPublishingPolicies } from "@/test/policy-lock";

takeTurnsPublishingPolicies();

beforeAll(async () => {
  await seedCatalog(db());
  forgetToolCatalog();
});
afterAll(() => stopListening());

const forbidRead = (agentId: string, annotations = "", when = "") => `${annotations}\nforbid(principal in Agent::"${agentId}", action == Action::"repo.read", resource)${when};`;

describe("policies: storage", () => {
  it("admins publish; auditors and admins read; others neither", () => {
    expect(can({ role: "admin" }, "policies.manage")).toBe(true);
    expect(can({ role: "admin" }, "policies.read")).toBe(true);
    expect(can({ role: "auditor" }, "policies.read")).toBe(true);
    expect(can({ role: "auditor" }, "policies.manage")).toBe(false);
    for (const role of ["approver", "requester"]) for (const p of ["policies.read", "policies.manage"] as const) expect(can({ role }, p)).toBe(false);
  });

  it("validate names the policy and line; a text that does not validate publishes nothing and audits nothing", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const text = `@id("ok") forbid(principal, action == Action::"repo.read", resource) when { context.environment == "nowhere" };\n\n@id("typo")\nforbid(principal, action == Action::"repo.read", resource) when { context.enviroment == "x" };`;
    const v = await validatePolicyText(db(), text);
    expect(v.valid).toBe(false);
    expect(v.errors[0]).toMatchObject({ policyId: "typo", line: 4 });
    const before = await db().policyVersion.count();
    const err = await publishPolicy(db(), admin, { text, message: "broken" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(422);
    expect((err as AppError).issues?.[0]).toMatchObject({ path: ["text", 4], message: expect.stringContaining("typo:") });
    expect(await db().policyVersion.count()).toBe(before);
    expect(await db().auditEvent.count({ where: { action: "policy.published", actorId: admin.id } })).toBe(0);
  });

  it("each publish is a new immutable version with author, message and diff, audited", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const agent = await seedAgent(db());
    const a = await publishPolicy(db(), admin, { text: forbidRead(agent.id, `@id("s1")`, ` when { context.environment == "nowhere" }`), message: "first" });
    const b = await publishPolicy(db(), admin, { text: forbidRead(agent.id, `@id("s2")`, ` when { context.environment == "nowhere" }`), message: "second" });
    expect(b.version).toBeGreaterThan(a.version);
    expect(b).toMatchObject({ authorEmail: admin.email, message: "second", policyIds: ["s2"] });
    expect(b.diff.split("\n")).toEqual(expect.arrayContaining([`-@id("s1")`, `+@id("s2")`]));
    const events = await db().auditEvent.findMany({ where: { action: "policy.published", actorId: admin.id }, orderBy: { seq: "asc" } });
    expect(events.map((e) => e.subjectId)).toEqual([`v${a.version}`, `v${b.version}`]);
    expect(events[1]!.payload).toMatchObject({ version: b.version, message: "second", policyIds: ["s2"], linesAdded: 1, linesRemoved: 1 });
    // Immutable: the database refuses a change to a published version.
    await expect(db().$executeRaw(Prisma.sql`UPDATE "policy_versions" SET "message" = 'rewritten' WHERE "version" = ${a.version}`)).rejects.toThrow();
    const list = await listPolicies(db());
    expect(list.versions.some((v) => v.version === a.version && v.message === "first")).toBe(true);
  });
});

describe("policies on live decisions", () => {
  it("a published forbid flips the next decision to deny on both paths, recorded with version and policy id, shown by explain", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const { actor: ep } = await seedEnforcementPoint(db());
    const agent = await seedAgent(db());
    const { leaseToken } = await seedLease(db(), { agentId: agent.id });
    const pool = createHotPool();
    const hot = createHotPath({ pool, db: db() });
    try {
      expect((await decide(db(), ep, { leaseToken, tool: "repo.read" })).decision).toBe("allow");
      expect((await hot.decide(ep, { leaseToken, tool: "repo.read" })).decision).toBe("allow"); // the chain is now cached

      const v = await publishPolicy(db(), admin, { text: forbidRead(agent.id, `@id("no-reads") @reason("reads are off for this agent")`), message: "flip" });
      for (const answer of [await decide(db(), ep, { leaseToken, tool: "repo.read" }), await hot.decide(ep, { leaseToken, tool: "repo.read" })]) {
        expect(answer).toMatchObject({ decision: "deny", reasons: [{ code: "policy_forbid", message: "forbidden by policy no-reads: reads are off for this agent" }], policy: { version: v.version, determinedBy: ["no-reads"] } });
        const row = await db().decision.findUniqueOrThrow({ where: { id: answer.decisionId } });
        expect(row.policy).toEqual({ version: v.version, determinedBy: ["no-reads"], lease: "allow" });
        const x = await explainDecision(db(), answer.decisionId);
        expect(x.policy).toMatchObject({ version: v.version, determinedBy: ["no-reads"], leaseOutcome: "allow", message: "flip", policies: [{ id: "no-reads", text: expect.stringContaining("forbid(principal in Agent::") }] });
      }
      // A tool the policy does not scope is untouched, and the lease rules still deny first (no policy asked).
      expect(await decide(db(), ep, { leaseToken, tool: "repo.commit", resource: { type: "branch", id: "agent/x" } })).toMatchObject({ decision: "allow", policy: { version: v.version, determinedBy: [] } });
      expect((await decide(db(), ep, { leaseToken, tool: "secrets.read" })).reasons[0]!.code).toBe("tool_denied");

      // Another instance publishes and this one is not told: the hot path's commit sees the version
      // in its fingerprint, evaluates again under the new one, and allows.
      await db().$executeRaw(Prisma.sql`
        INSERT INTO "policy_versions" ("version", "text", "message", "authorEmail", "diff", "policyIds")
        SELECT max("version") + 1, ${forbidRead(agent.id, `@id("off")`, ` when { context.environment == "nowhere" }`)}, 'elsewhere', ${admin.email}, '', ARRAY['off'] FROM "policy_versions"`);
      // The chain is loaded afresh (its fingerprint names the new version) while the policy in memory is the old one.
      hot.forget();
      const after = await hot.decide(ep, { leaseToken, tool: "repo.read" });
      expect(after).toMatchObject({ decision: "allow", policy: { version: v.version + 1, determinedBy: [] } });
    } finally {
      await pool.end();
    }
  });

  it("@escalate asks people (with @approvals), an erroring forbid denies with policy_error naming it", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const { actor: ep } = await seedEnforcementPoint(db());
    const escalating = await seedAgent(db());
    const erroring = await seedAgent(db());
    await publishPolicy(db(), admin, {
      text:
        forbidRead(escalating.id, `@id("ask-two") @escalate("two people look at reads") @approvals("2")`) +
        "\n" +
        forbidRead(erroring.id, `@id("overflows")`, ` when { context.remainingToolCalls * 9223372036854775807 > 0 }`),
      message: "escalate and error",
    });
    const a = await seedLease(db(), { agentId: escalating.id });
    const esc = await decide(db(), ep, { leaseToken: a.leaseToken, tool: "repo.read" });
    expect(esc).toMatchObject({ decision: "escalate", reasons: [{ code: "approval_required", message: "repo.read needs step-up approval (policy ask-two: two people look at reads)" }], policy: { determinedBy: ["ask-two"] } });
    const escalation = await db().escalation.findUniqueOrThrow({ where: { id: esc.escalationId! } });
    expect(escalation.requiredApprovals).toBe(2);

    const b = await seedLease(db(), { agentId: erroring.id });
    const err = await decide(db(), ep, { leaseToken: b.leaseToken, tool: "repo.read" });
    expect(err.decision).toBe("deny");
    expect(err.reasons[0]!.code).toBe("policy_error");
    expect(err.reasons[0]!.message).toMatch(/overflows/);
    expect(err.policy.determinedBy).toEqual(["overflows"]);
  });

  it("a call a policy escalates is allowed once with the approval people gave, then escalates again", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const { actor: ep } = await seedEnforcementPoint(db());
    const agent = await seedAgent(db());
    await publishPolicy(db(), admin, { text: forbidRead(agent.id, `@id("ask-first") @escalate("reads are looked at")`), message: "ask" });
    const { leaseToken } = await seedLease(db(), { agentId: agent.id });
    const resource = { type: "path", id: "README.md" };
    const esc = await decide(db(), ep, { leaseToken, tool: "repo.read", resource });
    expect(esc.decision).toBe("escalate");
    const approver = await seedPerson(db(), { role: "approver" });
    const { approvalId } = await castVote(db(), approver, esc.escalationId!, "approve", "fine");
    const allowed = await decide(db(), ep, { leaseToken, tool: "repo.read", resource, approvalId: approvalId! });
    expect(allowed).toMatchObject({ decision: "allow", reasons: [{ code: "approval_granted" }], policy: { determinedBy: ["ask-first"] } });
    // Used once; another resource is not what people approved.
    expect((await decide(db(), ep, { leaseToken, tool: "repo.read", resource, approvalId: approvalId! })).reasons[0]!.code).toBe("approval_invalid");
    expect((await decide(db(), ep, { leaseToken, tool: "repo.read", resource: { type: "path", id: "other" } })).decision).toBe("escalate");
  });

  it("what-if answers for the published version or a draft, with the lease rules when a lease is named, and writes nothing", async () => {
    const agent = await seedAgent(db());
    const { lease } = await seedLease(db(), { agentId: agent.id });
    const requester = await seedPerson(db(), { role: "requester" });
    const draft = forbidRead(agent.id, `@id("draft-no-reads")`, ` unless { context.delegator in Role::"admin" }`);
    const decisions = await db().decision.count({ where: { leaseId: lease.id } });
    // The lease's delegator is an admin (seedLease): the draft does not forbid; a requester named without a lease: it does.
    expect(await whatIf(db(), { text: draft, call: { tool: "repo.read", leaseId: lease.id } })).toMatchObject({ decision: "allow", leaseOutcome: "allow", policy: { version: null, draft: true, determinedBy: [] } });
    expect(await whatIf(db(), { text: draft, call: { tool: "repo.read", agentId: agent.id, delegatorId: requester.id } })).toMatchObject({ decision: "deny", reasons: [{ code: "policy_forbid" }], policy: { determinedBy: ["draft-no-reads"] } });
    // The lease rules still come first: a tool the lease denies is denied, whatever the draft.
    expect(await whatIf(db(), { text: draft, call: { tool: "secrets.read", leaseId: lease.id } })).toMatchObject({ decision: "deny", reasons: [{ code: "tool_denied" }] });
    // Published version: this agent is in no published policy.
    expect((await whatIf(db(), { call: { tool: "repo.read", leaseId: lease.id } })).decision).toBe("allow");
    expect(await db().decision.count({ where: { leaseId: lease.id } })).toBe(decisions);
    expect((await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).toolCallsUsed).toBe(0);
  });
});
