import { z } from "zod";
import { Prisma } from "@/lib/generated/prisma/client";
import { AppError, conflict, notFound, type Issue } from "@/lib/errors";
import { appendAudit, type AuditActor } from "@/lib/audit/append";
import type { EnforcementPointActor } from "@/lib/auth/enforcement-point";
import { can, type Actor } from "@/lib/auth/permissions";
import { lockAgent, type CeilingAgent } from "@/lib/agents/ceiling";
import { now } from "@/lib/clock";
import type { Db, Tx } from "@/lib/db";
import { env } from "@/lib/env";
import { openEscalation } from "@/lib/escalations/open";
import { escalationInclude, toEscalationView } from "@/lib/escalations/view";
import { deadLink, delegatorActive, lockChain } from "@/lib/leases/chain";
import { isOwnRequest } from "@/lib/leases/rules";
import type { Grant } from "@/lib/leases/schemas";
import { toLeaseView } from "@/lib/leases/view";
import { signLeaseToken, verifyLeaseToken } from "@/lib/tokens/lease-token";
import { toolCatalog } from "@/lib/tools/catalog";
import { riskOf } from "@/lib/tools/risk";

export const ExtendRequest = z
  .strictObject({
    /** the lease's new remaining lifetime, in seconds from the request (its new expiry; must be later than the current one) */
    expiresIn: z.number().int().min(60).max(30 * 86_400).optional(),
    /** the lease's new budget of tool calls (must be larger than the current one) */
    maxToolCalls: z.number().int().min(1).max(10_000_000).optional(),
    justification: z.string().trim().min(3, "say why the lease needs more").max(2000),
  })
  .refine((r) => r.expiresIn !== undefined || r.maxToolCalls !== undefined, { message: "ask for a later expiry, a larger budget or both", path: ["expiresIn"] });
export type ExtendRequest = z.infer<typeof ExtendRequest>;

/** What an extension asks the lease to be raised to (absolute, so the approver sees exactly what they grant). */
export type ExtensionAsk = { expiresAt?: string; maxToolCalls?: number };

type ExtLease = { id: string; createdAt: Date; expiresAt: Date; maxToolCalls: number; toolCallsUsed: number };

/**
 * Why raising `lease` to `ask` is beyond the agent's ceiling or an ancestor, one issue per breach. The
 * ceiling's longest lease bounds the lease's whole life (creation to the new expiry), as Vault's max TTL
 * does: repeated extensions cannot make a lease last longer than one the agent could be issued. Pure.
 */
export function extensionIssues(agent: CeilingAgent, lease: ExtLease, ancestors: ExtLease[], ask: ExtensionAsk): Issue[] {
  const issues: Issue[] = [];
  if (agent.status !== "active") issues.push({ path: ["agentId"], message: `agent ${agent.name} is ${agent.status}` });
  if (ask.expiresAt) {
    const until = Date.parse(ask.expiresAt);
    const maxSeconds = Math.min(agent.ceilingMaxExpiresIn, env().LANYARD_MAX_LEASE_SECONDS);
    if ((until - lease.createdAt.getTime()) / 1000 > maxSeconds) {
      issues.push({ path: ["expiresIn"], message: `a lease of ${agent.name} may last at most ${maxSeconds} s from its issue (this one was issued ${lease.createdAt.toISOString()})` });
    }
    const shorter = ancestors.find((a) => a.expiresAt.getTime() < until);
    if (shorter) issues.push({ path: ["expiresIn"], message: `ancestor lease ${shorter.id} expires at ${shorter.expiresAt.toISOString()}; a subagent's lease cannot outlive it` });
  }
  if (ask.maxToolCalls !== undefined) {
    const maxCalls = Math.min(agent.ceilingMaxToolCalls, env().LANYARD_MAX_TOOL_CALLS);
    if (ask.maxToolCalls > maxCalls) issues.push({ path: ["maxToolCalls"], message: `at most ${maxCalls} calls for ${agent.name}` });
    // As at delegation: a subagent's lease never has more calls left than any ancestor can still back.
    const left = ask.maxToolCalls - lease.toolCallsUsed;
    const poorer = ancestors.find((a) => a.maxToolCalls - a.toolCallsUsed < left);
    if (poorer) issues.push({ path: ["maxToolCalls"], message: `ancestor lease ${poorer.id} has ${poorer.maxToolCalls - poorer.toolCallsUsed} calls left; a subagent's lease cannot have more` });
  }
  return issues;
}

/**
 * POST /api/v1/leases/{id}/extend: the person who delegated or requested a live lease (or an admin) asks
 * for a later expiry and/or a larger budget. It becomes an escalation of kind `extension`, decided by
 * the same rules as any other (castVote: approvers, thresholds, never the asker); approval raises the
 * lease (applyExtension). One extension waits per lease at a time.
 */
export async function requestExtension(db: Db, actor: Actor, leaseId: string, input: ExtendRequest) {
  const at = now();
  const catalog = await toolCatalog(db);
  const { id } = await db.$transaction(async (tx) => {
    const lease0 = await tx.lease.findUnique({ where: { id: leaseId }, select: { agentId: true } });
    if (!lease0) throw notFound(`lease ${leaseId}`);
    // The agent before the chain: the order every authority path locks in.
    const agent = await lockAgent(tx, lease0.agentId, "share");
    const chain = await lockChain(tx, leaseId, "share");
    if (!agent || !chain) throw notFound(`lease ${leaseId}`);
    const [lease, ...ancestors] = chain as [(typeof chain)[0], ...typeof chain];
    if (!isOwnRequest(actor, lease) && !can(actor, "leases.revoke.any")) throw new AppError("forbidden", "You may extend only the leases you delegated or requested");
    const dead = deadLink(chain, at);
    if (dead) throw conflict(dead === lease ? `lease ${lease.id} is ${dead.status === "active" ? "expired" : dead.status}; only a live lease can be extended` : `ancestor lease ${dead.id} is no longer live`);
    if (!(await delegatorActive(tx, lease.delegatorId))) throw conflict(`the person who delegated lease ${lease.id} is not active; it can ask for nothing`);
    const ask: ExtensionAsk = {};
    const issues: Issue[] = [];
    if (input.expiresIn !== undefined) {
      const until = new Date(at.getTime() + input.expiresIn * 1000);
      if (until.getTime() <= lease.expiresAt.getTime()) issues.push({ path: ["expiresIn"], message: `the lease already runs until ${lease.expiresAt.toISOString()}; ask for a later expiry` });
      ask.expiresAt = until.toISOString();
    }
    if (input.maxToolCalls !== undefined) {
      if (input.maxToolCalls <= lease.maxToolCalls) issues.push({ path: ["maxToolCalls"], message: `the lease already allows ${lease.maxToolCalls} calls; ask for more` });
      ask.maxToolCalls = input.maxToolCalls;
    }
    issues.push(...extensionIssues(agent, lease, ancestors, ask));
    if (issues.length) throw new AppError("unprocessable", issues.map((i) => i.message).join("; "), issues);
    const risk = (lease.grants as Grant[]).map((g) => catalog.get(g.tool)?.risk ?? "critical").reduce((w, r) => (riskOf(r) > riskOf(w) ? r : w), "low");
    const opened = await openEscalation(tx, {
      kind: "extension",
      lease,
      tool: null,
      resource: null,
      extension: ask,
      justification: input.justification,
      risk,
      requestedById: actor.id,
      actor: { type: "user", id: actor.id, label: actor.email },
      at,
    });
    if (!opened.created) throw conflict(`an extension of lease ${lease.id} is already waiting (${opened.id}); answer or let it expire first`);
    return opened;
  });
  return { escalation: toEscalationView(await db.escalation.findUniqueOrThrow({ where: { id }, include: escalationInclude })) };
}

/**
 * An approved extension, in the vote's transaction (castVote holds the agent FOR SHARE and the chain
 * FOR NO KEY UPDATE): re-checks that the lease is live and the ask still within the ceiling and its
 * ancestors now, raises the limits (never lowers them), bumps the version and audits lease.extended.
 * Anything else is 409 and the vote rolls back with it.
 */
export async function applyExtension(tx: Tx, e: { id: string; leaseId: string; agentId: string; runId: string; extension: unknown }, at: Date, actor: AuditActor) {
  const ask = (e.extension ?? {}) as ExtensionAsk;
  const agent = await lockAgent(tx, e.agentId, "share");
  const chain = await lockChain(tx, e.leaseId, "update");
  if (!agent || !chain) throw conflict(`lease ${e.leaseId} or its agent no longer exists`);
  const [lease, ...ancestors] = chain as [(typeof chain)[0], ...typeof chain];
  const dead = deadLink(chain, at);
  if (dead) throw conflict(`lease ${dead.id} is ${dead.status === "active" ? "expired" : dead.status}; it can no longer be extended`);
  const issues = extensionIssues(agent, lease, ancestors, ask);
  if (issues.length) throw new AppError("conflict", `beyond the agent's current ceiling: ${issues.map((i) => i.message).join("; ")}`, issues);
  const expiresAt = ask.expiresAt && Date.parse(ask.expiresAt) > lease.expiresAt.getTime() ? new Date(ask.expiresAt) : lease.expiresAt;
  const maxToolCalls = Math.max(lease.maxToolCalls, ask.maxToolCalls ?? 0);
  const [row] = await tx.$queryRaw<{ version: number }[]>(Prisma.sql`
    UPDATE "leases" SET "expiresAt" = ${expiresAt}, "maxToolCalls" = ${maxToolCalls}, "version" = "version" + 1
    WHERE "id" = ${lease.id} AND "status" = 'active' RETURNING "version"`);
  if (!row) throw conflict(`lease ${lease.id} ended; it can no longer be extended`);
  await appendAudit(tx, {
    action: "lease.extended",
    actor,
    subject: { type: "lease", id: lease.id },
    agentId: e.agentId,
    runId: e.runId,
    leaseId: lease.id,
    leaseVersion: row.version,
    escalationId: e.id,
    payload: { from: { expiresAt: lease.expiresAt.toISOString(), maxToolCalls: lease.maxToolCalls }, to: { expiresAt: expiresAt.toISOString(), maxToolCalls } },
  });
}

/**
 * POST /api/v1/leases/{id}/token: a lease token's exp is the lease's expiry, so after an extension the
 * enforcement point holding the current (still valid) token trades it for one that carries the new
 * expiry. Nothing new is granted: the lease's live state rules every decision either way.
 */
export async function refreshLeaseToken(db: Db, _ep: EnforcementPointActor, id: string, leaseToken: string) {
  const token = await verifyLeaseToken(db, leaseToken);
  if (!token.ok || token.claims.leaseId !== id) {
    throw new AppError("forbidden", token.ok ? "leaseToken is not the token of this lease" : `leaseToken: ${token.message}`, [{ path: ["leaseToken"], message: token.ok ? "token_invalid" : token.code }]);
  }
  const lease = await db.lease.findUnique({ where: { id } });
  if (!lease) throw notFound(`lease ${id}`);
  if (lease.status !== "active" || lease.expiresAt.getTime() <= now().getTime()) throw conflict(`lease ${id} is ${lease.status === "active" ? "expired" : lease.status}`);
  return { lease: toLeaseView(lease), leaseToken: await signLeaseToken(db, lease) };
}
