import { appendAudit } from "@/lib/audit/append";
import { hashPassword } from "@/lib/auth/password";
import type { Db } from "@/lib/db";
import { newId } from "@/lib/ids";
import { seedStarterPolicy } from "@/lib/policy/store";
import { CATALOG } from "./catalog";

/** The tool catalog: inserted where missing, never overwriting an admin's edits. */
export async function seedCatalog(db: Db): Promise<void> {
  await db.tool.createMany({ data: CATALOG.map((t) => ({ ...t })), skipDuplicates: true });
}

export const DEMO_PEOPLE = [
  { email: "admin@example.com", name: "Ada Admin", role: "admin" },
  { email: "approver@example.com", name: "Avery Approver", role: "approver" },
  { email: "approver2@example.com", name: "Blake Approver", role: "approver" },
  { email: "auditor@example.com", name: "Audrey Auditor", role: "auditor" },
  { email: "maya@example.com", name: "Maya Requester", role: "requester" },
] as const;

/** Demo people and agents, into an empty database only. Returns false when there was data already. */
export async function seedDemo(db: Db, password: string): Promise<boolean> {
  if ((await db.user.count()) > 0) return false;
  const passwordHash = await hashPassword(password);
  await db.$transaction(async (tx) => {
    const ids: Record<string, string> = {};
    for (const p of DEMO_PEOPLE) {
      ids[p.email] = newId("usr");
      await tx.user.create({ data: { id: ids[p.email]!, ...p, passwordHash } });
    }
    const agents = [
      {
        name: "repo-maintenance-agent",
        description: "Updates dependencies, runs the tests and opens pull requests.",
        ownerId: ids["maya@example.com"],
        environments: ["staging", "production"],
        ceilingTools: ["repo.read", "repo.branch.create", "repo.commit", "pull_request.create", "pull_request.merge", "ci.test.read", "production.deploy"],
        ceilingMaxExpiresIn: 4 * 3600,
        ceilingMaxToolCalls: 500,
      },
      {
        name: "renewal-review-agent",
        description: "Reviews customer renewals: reads contracts and CRM context, drafts tasks and notes.",
        ownerId: ids["maya@example.com"],
        environments: ["production"],
        ceilingTools: ["contracts.read", "crm.read", "crm.write", "tickets.create", "slack.post", "email.send"],
        ceilingMaxExpiresIn: 2 * 3600,
        ceilingMaxToolCalls: 200,
      },
      {
        name: "clause-classifier",
        description: "Subagent that classifies risky clauses in one contract.",
        ownerId: ids["admin@example.com"],
        environments: ["production"],
        ceilingTools: ["contracts.read"],
        ceilingMaxExpiresIn: 1800,
        ceilingMaxToolCalls: 50,
      },
    ];
    for (const a of agents) {
      const id = newId("agt");
      await tx.agent.create({ data: { id, ...a, ownerId: a.ownerId! } });
      await appendAudit(tx, { action: "agent.created", actor: { type: "system", label: "demo seed" }, subject: { type: "agent", id }, agentId: id, payload: { name: a.name } });
    }
    // Maya's role lets her delegate low- and medium-risk tools (the migration's defaults); her group adds
    // merging pull requests and emailing customers, which her two agents need. Nothing gives her billing.
    const group = { id: newId("grp"), name: "release-managers", description: "May delegate merges and customer email" };
    await tx.group.create({ data: group });
    await tx.groupMember.create({ data: { groupId: group.id, userId: ids["maya@example.com"]! } });
    const ent = { id: newId("ent"), subjectType: "group", subjectId: group.id, tools: ["pull_request.merge", "email.send"], environments: ["*"], description: "release managers merge and email customers" };
    await tx.entitlement.create({ data: ent });
    await appendAudit(tx, { action: "group.created", actor: { type: "system", label: "demo seed" }, subject: { type: "group", id: group.id }, payload: { group, members: ["maya@example.com"] } });
    await appendAudit(tx, { action: "entitlement.created", actor: { type: "system", label: "demo seed" }, subject: { type: "entitlement", id: ent.id }, payload: { entitlement: ent } });
    // Demo data only: a published policy is in force for every decision of the installation.
    await seedStarterPolicy(tx, { id: ids["admin@example.com"]!, email: "admin@example.com" });
    await appendAudit(tx, { action: "demo.seeded", actor: { type: "system", label: "demo seed" }, payload: { people: DEMO_PEOPLE.map((p) => p.email) } });
  });
  return true;
}
