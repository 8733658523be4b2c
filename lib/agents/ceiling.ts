import { Prisma } from "@/lib/generated/prisma/client";
import type { Issue } from "@/lib/errors";
import type { Db, Tx } from "@/lib/db";
import { env } from "@/lib/env";

export type CeilingAgent = {
  id: string;
  name: string;
  status: string;
  environments: string[];
  ceilingTools: string[];
  ceilingMaxExpiresIn: number;
  ceilingMaxToolCalls: number;
};

/** What a lease would give the agent: checked against its ceiling at issue, delegation and approval alike. */
export type CeilingAsk = { environment: string; tools: string[]; expiresIn: number; maxToolCalls: number };

/**
 * Why `ask` is beyond what `agent` may ever hold (its status, environments, tools, longest lease and
 * largest budget, each capped by the org's limits), one issue per breach; empty when within. Pure.
 */
export function ceilingIssues(agent: CeilingAgent, ask: CeilingAsk, paths: { tools?: (i: number) => Issue["path"] } = {}): Issue[] {
  const issues: Issue[] = [];
  if (agent.status !== "active") issues.push({ path: ["agentId"], message: `agent ${agent.name} is ${agent.status}` });
  if (!agent.environments.includes(ask.environment)) {
    issues.push({ path: ["environment"], message: `${agent.name} may not run in ${ask.environment} (allowed: ${agent.environments.join(", ")})` });
  }
  ask.tools.forEach((t, i) => {
    if (!agent.ceilingTools.includes(t)) issues.push({ path: paths.tools?.(i) ?? ["grants", i, "tool"], message: `${t} is beyond ${agent.name}'s ceiling` });
  });
  const maxSeconds = Math.min(agent.ceilingMaxExpiresIn, env().LANYARD_MAX_LEASE_SECONDS);
  if (ask.expiresIn > maxSeconds) issues.push({ path: ["expiresIn"], message: `at most ${maxSeconds} s for ${agent.name}` });
  const maxCalls = Math.min(agent.ceilingMaxToolCalls, env().LANYARD_MAX_TOOL_CALLS);
  if (ask.maxToolCalls > maxCalls) issues.push({ path: ["maxToolCalls"], message: `at most ${maxCalls} calls for ${agent.name}` });
  return issues;
}

/**
 * Reads the agent's row locked until the transaction ends. Whatever gives an agent authority (issue,
 * delegation, an approval) takes this lock before any lease row, and suspension takes it FOR UPDATE
 * before it ends the agent's leases: the two serialise, so no lease is created from a status that a
 * committed suspension has already changed. `update` for callers that go on to write the row.
 */
export async function lockAgent(tx: Tx, id: string, mode: "share" | "update"): Promise<CeilingAgent | null> {
  const lock = mode === "update" ? Prisma.sql`FOR NO KEY UPDATE` : Prisma.sql`FOR SHARE`;
  const [row] = await tx.$queryRaw<CeilingAgent[]>(Prisma.sql`
    SELECT "id", "name", "status", "environments", "ceilingTools", "ceilingMaxExpiresIn", "ceilingMaxToolCalls"
    FROM "agents" WHERE "id" = ${id} ${lock}`);
  return row ?? null;
}

/**
 * Records that `agentId` was given a lease at `at`, after the lease's transaction committed. Inside it,
 * the UPDATE would need the agent row exclusively, so issuances for one agent would queue one behind
 * another (and time out under load). Here it skips a row someone holds (another issuance in flight,
 * which records its own time a moment later): the dormancy flag it feeds counts in days. It only
 * moves forward, so a late writer never sets it back.
 */
export async function touchLastLease(db: Db, agentId: string, at: Date): Promise<void> {
  // Best effort: the lease is committed; a statistic that fails to move must not turn its 201 into an error.
  await db.$executeRaw(Prisma.sql`
    UPDATE "agents" SET "lastLeaseAt" = ${at}
    WHERE "id" = (SELECT "id" FROM "agents" WHERE "id" = ${agentId} AND ("lastLeaseAt" IS NULL OR "lastLeaseAt" < ${at}) FOR NO KEY UPDATE SKIP LOCKED)`).catch(() => {});
}
