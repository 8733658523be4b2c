import { ceilingIssues, lockAgent } from "@/lib/agents/ceiling";
import type { AgentCreate, AgentPatch } from "@/lib/agents/schemas";
import { agentInclude, toAgentView } from "@/lib/agents/view";
import { AppError, conflict, notFound } from "@/lib/errors";
import { appendAudit, changes } from "@/lib/audit/append";
import type { Actor } from "@/lib/auth/permissions";
import { now } from "@/lib/clock";
import type { Db, Tx } from "@/lib/db";
import { newId } from "@/lib/ids";
import { endLeaseTrees } from "@/lib/leases/end";

const userActor = (a: Actor) => ({ type: "user" as const, id: a.id, label: a.email });

async function checkRefs(tx: Tx, ownerId: string | undefined, tools: string[] | undefined) {
  if (ownerId) {
    const owner = await tx.user.findUnique({ where: { id: ownerId } });
    if (!owner) throw new AppError("unprocessable", `owner ${ownerId} does not exist`, [{ path: ["ownerId"], message: "unknown person" }]);
    if (owner.status !== "active") throw new AppError("unprocessable", `owner ${owner.email} is disabled`, [{ path: ["ownerId"], message: "disabled person" }]);
  }
  if (tools?.length) {
    const known = new Set((await tx.tool.findMany({ where: { name: { in: tools } }, select: { name: true } })).map((t) => t.name));
    const unknown = tools.filter((t) => !known.has(t));
    if (unknown.length) {
      throw new AppError("unprocessable", `unknown tools in ceiling: ${unknown.join(", ")}`, unknown.map((t) => ({ path: ["ceiling", "tools"], message: `unknown tool ${t}` })));
    }
  }
}

export async function createAgent(db: Db, actor: Actor, input: AgentCreate) {
  return db.$transaction(async (tx) => {
    await checkRefs(tx, input.ownerId, input.ceiling.tools);
    const id = newId("agt");
    const a = await tx.agent.create({
      data: {
        id,
        name: input.name,
        description: input.description,
        ownerId: input.ownerId,
        environments: [...new Set(input.environments)],
        ceilingTools: [...new Set(input.ceiling.tools)],
        ceilingMaxExpiresIn: input.ceiling.maxExpiresIn,
        ceilingMaxToolCalls: input.ceiling.maxToolCalls,
        driftMode: input.driftMode,
      },
      include: agentInclude,
    });
    const view = toAgentView(a);
    await appendAudit(tx, { action: "agent.created", actor: userActor(actor), subject: { type: "agent", id }, agentId: id, payload: { after: view } });
    return view;
  });
}

/**
 * After a ceiling or environments change: a live lease (pending or active, its subagents' too) that now
 * grants a tool beyond the ceiling, runs in an environment no longer allowed, or outlives or outspends
 * the new limits is revoked in the same transaction, as suspension revokes them: decisions read the
 * lease, not the ceiling, so a lease left as it was would keep allowing what the agent may no longer
 * hold. The agent row is locked FOR NO KEY UPDATE, so no lease is issued from the old ceiling meanwhile.
 */
async function revokeBeyondCeiling(tx: Tx, actor: Actor, agent: { id: string; name: string; status: string; environments: string[]; ceilingTools: string[]; ceilingMaxExpiresIn: number; ceilingMaxToolCalls: number }) {
  const at = now().getTime();
  const live = await tx.lease.findMany({ where: { agentId: agent.id, status: { in: ["active", "pending_approval"] } }, select: { id: true, grants: true, environment: true, createdAt: true, expiresAt: true, maxToolCalls: true } });
  const unfit = live
    .map((l) => ({ id: l.id, issues: ceilingIssues(agent, { environment: l.environment, tools: (l.grants as { tool: string }[]).map((g) => g.tool), expiresIn: Math.ceil((l.expiresAt.getTime() - Math.max(at, l.createdAt.getTime())) / 1000), maxToolCalls: l.maxToolCalls }) }))
    .filter((u) => u.issues.length);
  if (!unfit.length) return;
  await endLeaseTrees(tx, unfit.map((u) => u.id), {
    status: "revoked",
    reason: `beyond ${agent.name}'s new ceiling: ${[...new Set(unfit.flatMap((u) => u.issues.map((i) => i.message)))].join("; ")}`,
    actor: userActor(actor),
    action: "lease.revoked",
  });
}

export async function updateAgent(db: Db, actor: Actor, id: string, patch: AgentPatch) {
  return db.$transaction(async (tx) => {
    // The row is locked before anything else, as issuance and delegation lock it before they create a
    // lease: a suspension waits for a lease being created (then ends it) or the lease waits and is refused.
    await lockAgent(tx, id, "update");
    const before = await tx.agent.findUnique({ where: { id }, include: agentInclude });
    if (!before) throw notFound(`agent ${id}`);
    if (before.status === "retired" && patch.status !== undefined && patch.status !== "retired") {
      throw conflict("a retired agent cannot be brought back; register a new one");
    }
    await checkRefs(tx, patch.ownerId, patch.ceiling?.tools);
    const data = {
      description: patch.description,
      ownerId: patch.ownerId,
      environments: patch.environments && [...new Set(patch.environments)],
      ceilingTools: patch.ceiling && [...new Set(patch.ceiling.tools)],
      ceilingMaxExpiresIn: patch.ceiling?.maxExpiresIn,
      ceilingMaxToolCalls: patch.ceiling?.maxToolCalls,
      driftMode: patch.driftMode,
      status: patch.status,
    };
    // Optimistic: the row must still be the version we read, or a concurrent edit wins and we answer 409.
    const { count } = await tx.agent.updateMany({ where: { id, version: before.version }, data: { ...data, version: { increment: 1 } } });
    if (count === 0) throw conflict(`agent ${id} was changed concurrently; reload and retry`);
    const after = await tx.agent.findUniqueOrThrow({ where: { id }, include: agentInclude });
    const view = toAgentView(after);
    const diff = changes(toAgentView(before) as unknown as Record<string, unknown>, view as unknown as Record<string, unknown>);
    delete diff.updatedAt;
    const action =
      patch.status && patch.status !== before.status
        ? ({ suspended: "agent.suspended", retired: "agent.retired", active: "agent.reactivated" } as const)[patch.status]
        : "agent.updated";
    await appendAudit(tx, { action, actor: userActor(actor), subject: { type: "agent", id }, agentId: id, payload: { changes: diff, reason: patch.reason ?? null } });
    // Suspending or retiring an agent takes back every lease it holds, and their subagents' leases.
    if (patch.status && patch.status !== "active" && before.status === "active") {
      const live = await tx.lease.findMany({ where: { agentId: id, status: { in: ["active", "pending_approval"] } }, select: { id: true } });
      await endLeaseTrees(tx, live.map((l) => l.id), {
        status: "revoked",
        reason: `agent ${patch.status}${patch.reason ? `: ${patch.reason}` : ""}`,
        actor: userActor(actor),
        action: "lease.revoked",
      });
    } else if (after.status === "active" && (patch.ceiling || patch.environments)) {
      await revokeBeyondCeiling(tx, actor, after);
    }
    return view;
  });
}
