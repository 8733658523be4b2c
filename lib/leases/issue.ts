import { Prisma } from "@/lib/generated/prisma/client";
import { ceilingIssues, lockAgent, touchLastLease } from "@/lib/agents/ceiling";
import { AppError, type Issue } from "@/lib/errors";
import { appendAudit, type AuditActor } from "@/lib/audit/append";
import type { EnforcementPointActor } from "@/lib/auth/enforcement-point";
import { can, type Actor } from "@/lib/auth/permissions";
import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";
import { env } from "@/lib/env";
import { newId } from "@/lib/ids";
import { personNeedsApproval } from "@/lib/leases/delegation-rule";
import { lockPerson } from "@/lib/people/lock";
import { assertDelegable } from "@/lib/entitlements/check";
import { PRODUCTION, type LeaseRequest } from "@/lib/leases/schemas";
import { toLeaseView } from "@/lib/leases/view";
import { signLeaseToken } from "@/lib/tokens/lease-token";
import { riskOf } from "@/lib/tools/risk";
import { openEscalation } from "@/lib/escalations/open";
import { publish } from "@/lib/events/bus";

export type Issuer = Actor | EnforcementPointActor;

/** Every enforcement-point request waits for a person; a person's own issuance follows personNeedsApproval. */
function needsApproval(issuer: Issuer, risks: Map<string, string>, grants: LeaseRequest["grants"]): string | null {
  if (issuer.kind === "enforcement_point") return "requested by an enforcement point";
  return personNeedsApproval(issuer.role, grants.map((g) => g.tool), (t) => risks.get(t));
}

export async function issueLease(db: Db, issuer: Issuer, input: LeaseRequest) {
  const at = now();
  const issues: Issue[] = [];
  const refuse = (path: Issue["path"], message: string) => issues.push({ path, message });

  if (issuer.kind === "enforcement_point" && !input.requestedBy) refuse(["requestedBy"], "required for enforcement-point requests");
  // A person's request is always their own (self-approval rules rely on it); only an enforcement point names its requester.
  if (issuer.kind === "user" && input.requestedBy !== undefined && input.requestedBy !== issuer.email.toLowerCase()) {
    refuse(["requestedBy"], "a person's request is attributed to that person: leave it out or give your own email");
  }
  const named = issuer.kind === "enforcement_point" && input.requestedBy ? await db.user.findUnique({ where: { email: input.requestedBy }, select: { id: true, status: true } }) : null;
  if (issuer.kind === "enforcement_point" && input.requestedBy && named?.status !== "active") refuse(["requestedBy"], "must be the email of an active person");
  const agent = await db.agent.findUnique({ where: { id: input.agentId } });
  if (!agent) throw new AppError("unprocessable", `agent ${input.agentId} does not exist`, [{ path: ["agentId"], message: "unknown agent" }]);
  if (agent.status !== "active") throw new AppError("unprocessable", `agent ${agent.name} is ${agent.status}`, [{ path: ["agentId"], message: `agent is ${agent.status}` }]);

  const tools = await db.tool.findMany({ where: { name: { in: input.grants.map((g) => g.tool) } } });
  const risks = new Map(tools.map((t) => [t.name, t.risk]));
  if (!agent.environments.includes(input.environment)) refuse(["environment"], `${agent.name} may not run in ${input.environment} (allowed: ${agent.environments.join(", ")})`);
  input.grants.forEach((g, i) => {
    if (!risks.has(g.tool)) refuse(["grants", i, "tool"], `${g.tool} is not in the tool catalog`);
    else if (!agent.ceilingTools.includes(g.tool)) refuse(["grants", i, "tool"], `${g.tool} is beyond ${agent.name}'s ceiling`);
    if (input.deny.includes(g.tool)) refuse(["grants", i, "tool"], `${g.tool} is both granted and never allowed`);
    // An explicit production grant (issue 15) says a person meant writes in production: meaningless elsewhere.
    if (g.production && input.environment !== PRODUCTION) refuse(["grants", i, "production"], `a production grant needs a production lease (this one is for ${input.environment})`);
  });
  const maxSeconds = Math.min(agent.ceilingMaxExpiresIn, env().LANYARD_MAX_LEASE_SECONDS);
  if (input.expiresIn > maxSeconds) refuse(["expiresIn"], `at most ${maxSeconds} s for ${agent.name}`);
  const maxCalls = Math.min(agent.ceilingMaxToolCalls, env().LANYARD_MAX_TOOL_CALLS);
  if (input.maxToolCalls > maxCalls) refuse(["maxToolCalls"], `at most ${maxCalls} calls for ${agent.name}`);
  if (issues.length) throw new AppError("unprocessable", issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "), issues);

  const pendingBecause = needsApproval(issuer, risks, input.grants);
  const requester = issuer.kind === "user" ? issuer.email : (input.requestedBy ?? "");
  const delegator = issuer.kind === "user" ? { id: issuer.id } : named;
  const actor: AuditActor = issuer.kind === "user" ? { type: "user", id: issuer.id, label: issuer.email } : { type: "enforcement_point", id: issuer.id, label: issuer.name };

  const lease = await db.$transaction(async (tx) => {
    // The grants' risks as committed now, held FOR SHARE until commit (before the person's lock, the order a
    // risk change in lib/tools takes them): a risk change either committed before and is read here, or
    // waits for this lease and re-checks it.
    const heldRisks = new Map(
      (await tx.$queryRaw<{ name: string; risk: string }[]>(Prisma.sql`SELECT "name", "risk" FROM "tools" WHERE "name" = ANY(${[...risks.keys()].sort()}::text[]) ORDER BY "name" FOR SHARE`)).map((t) => [t.name, t.risk]),
    );
    // The person behind the lease, re-checked under their row's lock (taken before the agent's, as
    // everywhere): a disable that committed since refuses this lease; a later one waits and revokes it.
    const person = delegator ? await lockPerson(tx, delegator.id, "share") : null;
    if (person?.status !== "active") throw new AppError("unprocessable", "the delegating person is not active", [{ path: ["requestedBy"], message: "not an active person" }]);
    // A person issues in the role the database has now: whether the lease waits for approval was
    // decided from the session's role, which a role change committed since has taken back.
    if (issuer.kind === "user" && (person.role !== issuer.role || !can(person, "leases.issue"))) {
      throw new AppError("forbidden", `Your role changed to ${person.role} while this request was under way; reload and try again`);
    }
    // What the person may delegate (issue 15), read under their row lock: every change to it takes that lock first.
    const entitlements = await assertDelegable(tx, person, input.grants, input.environment, { code: "unprocessable", risks: heldRisks });
    // Checked again under the agent's row lock: a suspension (or a ceiling cut) that committed since the
    // read above refuses this lease; one that comes later waits for us and ends it.
    const locked = await lockAgent(tx, agent.id, "share");
    const still = locked ? ceilingIssues(locked, { environment: input.environment, tools: input.grants.map((g) => g.tool), expiresIn: input.expiresIn, maxToolCalls: input.maxToolCalls }) : [{ path: ["agentId"], message: "unknown agent" }];
    if (still.length) throw new AppError("unprocessable", still.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "), still);
    const runId = input.runId ?? newId("run");
    const run = await tx.run.findUnique({ where: { id: runId } });
    if (run && run.agentId !== agent.id) {
      throw new AppError("unprocessable", `run ${runId} belongs to another agent`, [{ path: ["runId"], message: "run of another agent" }]);
    }
    if (!run) await tx.run.create({ data: { id: runId, agentId: agent.id, purpose: input.purpose, taskRef: input.taskRef } });
    const l = await tx.lease.create({
      data: {
        id: newId("lse"),
        runId,
        agentId: agent.id,
        ancestorIds: [],
        delegatorId: delegator?.id ?? null,
        requestedBy: requester,
        issuedByType: issuer.kind,
        issuedById: issuer.id,
        purpose: input.purpose,
        taskRef: input.taskRef,
        intent: input.intent as Prisma.InputJsonValue | undefined,
        environment: input.environment,
        grants: input.grants as Prisma.InputJsonValue,
        deny: [...new Set(input.deny)],
        requireApproval: [...new Set(input.requireApproval)],
        status: pendingBecause ? "pending_approval" : "active",
        expiresAt: new Date(at.getTime() + input.expiresIn * 1000),
        maxToolCalls: input.maxToolCalls,
        maxDelegationDepth: input.maxDelegationDepth,
      },
    });
    const view = toLeaseView(l);
    await appendAudit(tx, {
      action: pendingBecause ? "lease.requested" : "lease.issued",
      actor,
      subject: { type: "lease", id: l.id },
      agentId: agent.id,
      runId,
      leaseId: l.id,
      leaseVersion: l.version,
      payload: { lease: view, pendingBecause, entitlements },
    });
    await publish(tx, { type: "run.event", runIds: [runId] });
    if (pendingBecause) {
      // The request waits in the approval queue as an escalation of its own kind.
      const risk = input.grants.reduce((worst, g) => (riskOf(risks.get(g.tool)) > riskOf(worst) ? (risks.get(g.tool) ?? worst) : worst), "low");
      await openEscalation(tx, {
        kind: "lease_request",
        lease: l,
        tool: null,
        resource: null,
        justification: `${input.purpose} — ${pendingBecause}`,
        risk,
        enforcementPointId: issuer.kind === "enforcement_point" ? issuer.id : null,
        requestedById: delegator?.id ?? null,
        actor,
        at,
      });
    }
    return l;
  });
  await touchLastLease(db, lease.agentId, at);
  const leaseToken = await signLeaseToken(db, lease);
  return { lease: toLeaseView(lease), leaseToken };
}
