import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { createEntitlement, deleteEntitlement } from "@/lib/entitlements/entitlements";
import { createEscalation } from "@/lib/escalations/create";
import { castVote } from "@/lib/escalations/vote";
import { stopListening } from "@/lib/events/bus";
import { delegateLease } from "@/lib/leases/delegate";
import { issueLease } from "@/lib/leases/issue";
import type { Grant } from "@/lib/leases/schemas";
import { seedAgent, seedEnforcementPoint, seedPerson } from "@/test/factories";

// A small world, so random trees often touch the edges: four tools of each risk a requester's role
// stops at, one resource type with exact ids and a prefix.
const TOOLS = { "repo.read": 0, "contracts.read": 1, "crm.write": 1, "pull_request.merge": 2 } as const;
type Tool = keyof typeof TOOLS;
const tool = fc.constantFrom(...(Object.keys(TOOLS) as Tool[]));
const id = fc.constantFrom("c1", "c2", "c3");
const pattern = fc.constantFrom("c1", "c2", "c*");
const env = fc.constantFrom("staging", "production");
const grant: fc.Arbitrary<Grant> = fc.record({ tool, ids: fc.option(fc.uniqueArray(pattern, { minLength: 1, maxLength: 2 }), { nil: undefined }) }).map((g) => (g.ids ? { tool: g.tool, resource: { type: "contract", ids: g.ids } } : { tool: g.tool }));
const entitlement = fc.record({
  // Weighted towards generous entitlements, so that enough calls get as far as an allow to be checked.
  tools: fc.oneof(fc.constant(["*"]), fc.uniqueArray(tool, { minLength: 1, maxLength: 3 })),
  maxRisk: fc.constantFrom(null, null, "low", "medium", "high"),
  environments: fc.constantFrom(["*"], ["*"], ["staging"], ["production"]),
  resources: fc.option(fc.uniqueArray(pattern, { minLength: 1, maxLength: 2 }).map((ids) => [{ type: "contract", ids }]), { nil: null, freq: 2 }),
});
const scenario = fc.record({
  environment: env,
  ceiling: fc.uniqueArray(tool, { minLength: 1, maxLength: 4 }),
  personal: fc.array(entitlement, { minLength: 1, maxLength: 2 }),
  root: fc.array(grant, { minLength: 1, maxLength: 3 }),
  children: fc.array(fc.array(grant, { minLength: 1, maxLength: 2 }), { maxLength: 2 }),
  more: fc.option(fc.record({ tool, id }), { nil: null }),
  removeFirst: fc.boolean(),
  // Mostly calls of a tool the root grants: calls of anything else are denied before entitlements matter.
  calls: fc.array(fc.record({ at: fc.nat(), granted: fc.constantFrom(true, true, false), tool, id }), { minLength: 1, maxLength: 6 }),
});

type Ent = { tools: string[]; maxRisk: string | null; environments: string[]; resources: { type: string; ids: string[] }[] | null };
const RISK: Record<string, number> = { low: 0, medium: 1, high: 2, critical: 3 };
const covers = (p: string, x: string) => (p.endsWith("*") ? x.startsWith(p.slice(0, -1)) : p === x);
// The oracle, written apart from lib/entitlements: may a person holding `ents` delegate `t` on contract `rid` in `e`?
const entitled = (ents: Ent[], t: Tool, rid: string, e: string) =>
  ents.some((x) => (x.tools.includes("*") || x.tools.includes(t)) && (x.maxRisk === null || TOOLS[t] <= RISK[x.maxRisk]!) && (x.environments.includes("*") || x.environments.includes(e)) && (x.resources === null || x.resources.some((s) => s.type === "contract" && s.ids.some((p) => covers(p, rid)))));
const grants = (gs: Grant[], t: Tool, rid: string) => gs.some((g) => g.tool === t && (!g.resource || (g.resource.type === "contract" && g.resource.ids.some((p) => covers(p, rid)))));

let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>["actor"];
beforeAll(async () => {
  ep = (await seedEnforcementPoint(db())).actor;
});
afterAll(() => stopListening());

describe("delegator-bounded authority (property)", () => {
  it("no decision allows a call that the delegator's entitlements, the agent's ceiling or any lease of the chain would deny", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const approver = await seedPerson(db(), { role: "approver" });
    let allows = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        // An auditor's role may delegate nothing: all they may delegate is what the run gives them.
        const person = await seedPerson(db(), { role: "auditor" });
        const made = [];
        for (const e of s.personal) made.push((await createEntitlement(db(), admin, { subjectType: "person", subjectId: person.id, ...e, tools: [...e.tools], environments: [...e.environments] })).entitlement.id);
        // The ceiling holds the root's tools (a root beyond it is refused before anything happens) and maybe more.
        const ceiling = [...new Set([...s.ceiling, ...s.root.map((g) => g.tool)])];
        const agent = await seedAgent(db(), { ownerId: person.id, ceilingTools: ceiling });
        const base = { agentId: agent.id, purpose: "property", environment: s.environment, deny: [], requireApproval: [], expiresIn: 600, maxToolCalls: 50 };
        const tree: { token: string; id: string }[] = [];
        // Asked by a gateway in their name, approved by someone else (auditors do not issue from the console).
        const root = await issueLease(db(), ep, { ...base, requestedBy: person.email, grants: s.root, maxDelegationDepth: 2 }).catch(() => null);
        if (!root) return;
        const request = await db().escalation.findFirstOrThrow({ where: { leaseId: root.lease.id, kind: "lease_request" } });
        if (!(await castVote(db(), approver, request.id, "approve", "fine").catch(() => null))) return;
        tree.push({ token: root.leaseToken, id: root.lease.id });
        for (const gs of s.children) {
          const parent = tree[tree.length - 1]!;
          const c = await delegateLease(db(), ep, parent.id, { leaseToken: parent.token, agentId: agent.id, purpose: "child", grants: gs, expiresIn: 300, maxToolCalls: 10 }).catch(() => null);
          if (c) tree.push({ token: c.leaseToken, id: c.lease.id });
        }
        if (s.more) {
          const leaf = tree[tree.length - 1]!;
          const esc = await createEscalation(db(), ep, { leaseToken: leaf.token, kind: "more_permission", tool: s.more.tool, resource: { type: "contract", id: s.more.id }, justification: "more" }).catch(() => null);
          if (esc) await castVote(db(), approver, esc.escalation.id, "approve", "fine").catch(() => null);
        }
        if (s.removeFirst && made[0]) await deleteEntitlement(db(), admin, made[0]);

        // The world as it is now: the person's entitlements (role default and what is left of their own), each lease's grants.
        const ents = (await db().entitlement.findMany({ where: { OR: [{ subjectType: "role", subjectId: "auditor" }, { subjectType: "person", subjectId: person.id }] } })) as unknown as Ent[];
        const rows = new Map((await db().lease.findMany({ where: { id: { in: tree.map((l) => l.id) } } })).map((l) => [l.id, l]));
        for (const c of s.calls) {
          const at = c.at % tree.length;
          const call = { ...c, tool: (c.granted ? s.root[c.at % s.root.length]!.tool : c.tool) as Tool };
          const d = await decide(db(), ep, { leaseToken: tree[at]!.token, tool: call.tool, resource: { type: "contract", id: call.id }, context: { environment: s.environment } });
          if (d.decision !== "allow") continue;
          allows++;
          expect(entitled(ents, call.tool, call.id, s.environment), `entitlements allow ${call.tool} on ${call.id}`).toBe(true);
          expect(ceiling).toContain(call.tool);
          for (const l of tree.slice(0, at + 1)) expect(grants(rows.get(l.id)!.grants as Grant[], call.tool, call.id), `lease ${l.id} grants ${call.tool} on ${call.id}`).toBe(true);
        }
      }),
      {
        numRuns: 25,
        interruptAfterTimeLimit: 12_000, // CI budget: the whole file stays under 20 s
        // Always run first: a tree whose calls are allowed, so the property is exercised on every run.
        examples: [[{ environment: "staging", ceiling: ["repo.read"], personal: [{ tools: ["*"], maxRisk: null, environments: ["*"], resources: null }], root: [{ tool: "repo.read" }, { tool: "contracts.read", resource: { type: "contract", ids: ["c1"] } }], children: [[{ tool: "contracts.read", resource: { type: "contract", ids: ["c1"] } }]], more: { tool: "crm.write", id: "c2" }, removeFirst: false, calls: [{ at: 0, granted: true, tool: "repo.read", id: "c1" }, { at: 1, granted: false, tool: "contracts.read", id: "c1" }, { at: 1, granted: false, tool: "contracts.read", id: "c2" }] }]],
      },
    );
    // The property says nothing if nothing was ever allowed.
    expect(allows).toBeGreaterThan(0);
  }, 60_000);
});
