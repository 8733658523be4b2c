// Factories with safe defaults, shared by integration and e2e tests. Every call makes fresh rows, so
// test files never depend on each other's data.
import { randomBytes } from "node:crypto";
import type { Db } from "@/lib/db";
import { hashPassword } from "@/lib/auth/password";
import { generateKey, type EnforcementPointActor } from "@/lib/auth/enforcement-point";
import { EP_SCOPES, type EpScope } from "@/lib/auth/scopes";
import type { Actor } from "@/lib/auth/permissions";
import { newId } from "@/lib/ids";
import { now } from "@/lib/clock";
import { issueLease } from "@/lib/leases/issue";
import type { LeaseRequest } from "@/lib/leases/schemas";
import { seedCatalog } from "@/prisma/seed";

const tag = () => randomBytes(4).toString("hex");

/**
 * A person. `entitled`: tools they may delegate beyond their role's entitlements (a personal entitlement,
 * every environment): a requester's role covers only low- and medium-risk tools (issue 15).
 * The actor comes with a console session of its own; approvers and admins arrive having just proved
 * presence by password in it (as the console's Approve button makes them before a high or critical
 * approval, issue 17), so a test that is not about that can approve: `proof: null` for one who has not.
 */
export async function seedPerson(db: Db, over: Partial<{ email: string; name: string; role: string; password: string; status: string; entitled: string[]; proof: "password" | "passkey" | null }> = {}) {
  const email = over.email ?? `person-${tag()}@example.test`;
  const u = await db.user.create({
    data: {
      id: newId("usr"),
      email,
      name: over.name ?? email.split("@")[0]!,
      role: over.role ?? "requester",
      status: over.status ?? "active",
      passwordHash: over.password ? await hashPassword(over.password) : null,
    },
  });
  if (over.entitled?.length) {
    await db.entitlement.create({ data: { id: newId("ent"), subjectType: "person", subjectId: u.id, tools: over.entitled, environments: ["*"], description: "test factory" } });
  }
  const actor: Actor = { kind: "user", id: u.id, email: u.email, name: u.name, role: u.role, session: { id: newId("ses"), version: u.sessionVersion } };
  const proof = over.proof === undefined ? (u.role === "approver" || u.role === "admin" ? "password" : null) : over.proof;
  if (proof) await db.presenceProof.create({ data: { userId: u.id, sessionId: actor.session!.id, sessionVersion: u.sessionVersion, method: proof, provedAt: now() } });
  return actor;
}

export async function seedAgent(db: Db, over: Partial<{ name: string; ownerId: string; environments: string[]; ceilingTools: string[]; ceilingMaxExpiresIn: number; ceilingMaxToolCalls: number; status: string }> = {}) {
  await seedCatalog(db);
  const ownerId = over.ownerId ?? (await seedPerson(db)).id;
  return db.agent.create({
    data: {
      id: newId("agt"),
      name: over.name ?? `agent-${tag()}`,
      ownerId,
      environments: over.environments ?? ["staging", "production"],
      ceilingTools: over.ceilingTools ?? ["repo.read", "repo.commit", "pull_request.create", "pull_request.merge", "production.deploy", "contracts.read", "ci.test.read"],
      ceilingMaxExpiresIn: over.ceilingMaxExpiresIn ?? 3600,
      ceilingMaxToolCalls: over.ceilingMaxToolCalls ?? 100_000,
      status: over.status ?? "active",
    },
  });
}

export async function seedEnforcementPoint(db: Db, scopes: readonly EpScope[] = EP_SCOPES) {
  const { key, hash, display } = generateKey();
  const ep = await db.enforcementPoint.create({ data: { id: newId("ep"), name: `gateway-${tag()}`, keyHash: hash, keyPrefix: display, scopes: [...scopes] } });
  const actor: EnforcementPointActor = { kind: "enforcement_point", id: ep.id, name: ep.name, scopes: ep.scopes };
  return { actor, key };
}

/** An active lease issued by a fresh admin (so no approval is needed), with its token. */
export async function seedLease(db: Db, over: Partial<LeaseRequest> & { agentId?: string } = {}) {
  const admin = await seedPerson(db, { role: "admin" });
  const agentId = over.agentId ?? (await seedAgent(db)).id;
  const res = await issueLease(db, admin, {
    agentId,
    purpose: "integration test",
    environment: "staging",
    grants: [{ tool: "repo.read" }, { tool: "repo.commit", resource: { type: "branch", ids: ["agent/*"] } }, { tool: "production.deploy" }],
    deny: ["secrets.read"],
    requireApproval: [],
    expiresIn: 1800,
    maxToolCalls: 1000,
    maxDelegationDepth: 0,
    ...over,
  });
  return { ...res, admin };
}
