// decide() (the Next path) re-checks at commit that the policy version it evaluated under is still the one
// in force. Another instance's publish is played by inserting a version directly: this process is not
// told (no policy.changed), so its in-memory copy stays the old one for up to its TTL. Policies are
// scoped to this file's agents, as in policy.integration.test.ts (test files share the database).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "@/lib/generated/prisma/client";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import type { DecisionResponse } from "@/lib/decisions/schemas";
import { stopListening } from "@/lib/events/bus";
import { publishPolicy } from "@/lib/policy/store";
import { forgetToolCatalog } from "@/lib/tools/catalog";
import { seedCatalog } from "@/prisma/seed";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";
import { takeTurnsPublishingPolicies } from "@/test/policy-lock";

takeTurnsPublishingPolicies();

beforeAll(async () => {
  await seedCatalog(db());
  forgetToolCatalog();
});
afterAll(() => stopListening());

const forbidRead = (agentId: string, id: string, extra = "") => `@id("${id}") ${extra} forbid(principal in Agent::"${agentId}", action == Action::"repo.read", resource);`;
const nothing = (agentId: string) => `@id("nothing") forbid(principal in Agent::"${agentId}", action == Action::"repo.read", resource) when { context.environment == "nowhere" };`;

/** A version published by "another instance": straight into the table, nobody told. */
async function publishElsewhere(text: string, email: string): Promise<number> {
  const [row] = await db().$queryRaw<{ version: number }[]>(Prisma.sql`
    INSERT INTO "policy_versions" ("version", "text", "message", "authorEmail", "diff", "policyIds")
    SELECT coalesce(max("version"), 0) + 1, ${text}, 'elsewhere', ${email}, '', ARRAY[]::text[] FROM "policy_versions" RETURNING "version"`);
  return row!.version;
}

const until = async (ok: () => boolean) => {
  while (!ok()) await new Promise((r) => setImmediate(r));
};

describe("decide(): the policy version is re-checked at commit", () => {
  it("a version published elsewhere since this copy was loaded: each commit path evaluates again under it", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const { actor: ep } = await seedEnforcementPoint(db());
    const agent = await seedAgent(db());
    const { leaseToken } = await seedLease(db(), { agentId: agent.id });
    const call = { leaseToken, tool: "repo.read" };
    const v1 = await publishPolicy(db(), admin, { text: forbidRead(agent.id, "no-reads"), message: "v1" });
    expect(await decide(db(), ep, call)).toMatchObject({ decision: "deny", policy: { version: v1.version } }); // v1 now in memory

    // A deny (one statement) evaluated under v1, committed while v2 is in force: evaluated again, allowed.
    const v2 = await publishElsewhere(nothing(agent.id), admin.email);
    expect(await decide(db(), ep, call)).toMatchObject({ decision: "allow", policy: { version: v2, determinedBy: [] } });
    // An allow (one statement, budget taken) under v2 while v3 escalates: no budget spent, escalated under v3.
    const used = (await db().lease.findFirstOrThrow({ where: { agentId: agent.id } })).toolCallsUsed;
    const v3 = await publishElsewhere(forbidRead(agent.id, "ask-first", `@escalate("reads are looked at")`), admin.email);
    expect(await decide(db(), ep, call)).toMatchObject({ decision: "escalate", policy: { version: v3, determinedBy: ["ask-first"] } });
    expect((await db().lease.findFirstOrThrow({ where: { agentId: agent.id } })).toolCallsUsed).toBe(used);
    // An escalation (interactive transaction) under v3 while v4 forbids nothing: allowed under v4, no escalation opened.
    const escalations = await db().escalation.count({ where: { agentId: agent.id } });
    const v4 = await publishElsewhere(nothing(agent.id), admin.email);
    expect(await decide(db(), ep, call)).toMatchObject({ decision: "allow", policy: { version: v4 } });
    expect(await db().escalation.count({ where: { agentId: agent.id } })).toBe(escalations);
  });

  it("publishes racing decisions: every decision is stamped with the version its outcome comes from, and none started after a publish is decided under an older one", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const { actor: ep } = await seedEnforcementPoint(db());
    const agent = await seedAgent(db());
    const { leaseToken, lease } = await seedLease(db(), { agentId: agent.id, maxToolCalls: 10_000 });
    const call = { leaseToken, tool: "repo.read" };
    const v1 = await publishPolicy(db(), admin, { text: nothing(agent.id), message: "allow" });
    expect((await decide(db(), ep, call)).decision).toBe("allow");

    // Versions alternate: forbidding (even steps) and not (odd), each published while 4 callers keep deciding.
    const forbidding = new Map<number, string>(); // version -> the policy id that forbids
    const results: { after: number; r: DecisionResponse }[] = [];
    let published = v1.version;
    let done = false;
    const caller = async () => {
      while (!done) {
        const after = published;
        results.push({ after, r: await decide(db(), ep, call) });
      }
    };
    const publisher = async () => {
      for (let k = 1; k <= 4; k++) {
        const n = results.length;
        await until(() => results.length >= n + 5);
        const v = await publishElsewhere(k % 2 ? forbidRead(agent.id, `forbid-${k}`) : nothing(agent.id), admin.email);
        if (k % 2) forbidding.set(v, `forbid-${k}`);
        published = v;
      }
      const n = results.length;
      await until(() => results.length >= n + 8);
      done = true;
    };
    await Promise.all([caller(), caller(), caller(), caller(), publisher()]);

    expect(results.length).toBeGreaterThan(20);
    for (const { after, r } of results) {
      const v = r.policy.version!;
      expect(v).toBeGreaterThanOrEqual(after);
      // Another file's publish (a version not ours) forbids nothing of this agent's.
      expect(r.decision).toBe(forbidding.has(v) ? "deny" : "allow");
      expect(r.policy.determinedBy).toEqual(forbidding.has(v) ? [forbidding.get(v)] : []);
    }
    // The rows say the same, and the budget counts exactly the allows.
    const rows = await db().decision.findMany({ where: { leaseId: lease.id }, select: { outcome: true, policy: true } });
    for (const row of rows) expect(row.outcome).toBe(forbidding.has((row.policy as { version: number }).version) ? "deny" : "allow");
    expect((await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).toolCallsUsed).toBe(rows.filter((r) => r.outcome === "allow").length);
  });
});
