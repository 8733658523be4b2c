import type { AgentView } from "@/lib/agents/schemas";
import type { DriftMode } from "@/lib/intent/schemas";
import { now } from "@/lib/clock";

export const DORMANT_AFTER_MS = 30 * 24 * 3600 * 1000;

type AgentRow = {
  id: string;
  name: string;
  description: string;
  environments: string[];
  ceilingTools: string[];
  ceilingMaxExpiresIn: number;
  ceilingMaxToolCalls: number;
  driftMode: string;
  status: string;
  lastSeenAt: Date | null;
  lastLeaseAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  owner: { id: string; email: string; name: string; status: string } | null;
};

export const agentInclude = { owner: { select: { id: true, email: true, name: true, status: true } } } as const;

/** Dormant: no lease in 30 days (counting from creation for an agent never leased). Orphaned: owner gone or disabled. */
export function toAgentView(a: AgentRow, at: Date = now()): AgentView {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    owner: a.owner,
    environments: a.environments,
    ceiling: { tools: a.ceilingTools, maxExpiresIn: a.ceilingMaxExpiresIn, maxToolCalls: a.ceilingMaxToolCalls },
    driftMode: a.driftMode === "enforce" ? "enforce" : ("advisory" satisfies DriftMode),
    status: a.status as AgentView["status"],
    lastSeenAt: a.lastSeenAt?.toISOString() ?? null,
    lastLeaseAt: a.lastLeaseAt?.toISOString() ?? null,
    dormant: at.getTime() - (a.lastLeaseAt ?? a.createdAt).getTime() > DORMANT_AFTER_MS,
    orphaned: !a.owner || a.owner.status !== "active",
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}
