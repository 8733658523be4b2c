import type { DecisionRequest } from "@/lib/decisions/schemas";
import type { PolicyCall } from "@/lib/policy/evaluate";

/** What policies read of a lease chain beyond the lease rules' columns (loaded with the chain, from the leaf's rows). */
export type ChainFacts = {
  agentName: string;
  agentEnvironments: string[];
  delegatorId: string | null;
  delegatorEmail: string | null;
  delegatorRole: string | null;
  delegatorStatus: string | null;
  /** the names of the delegator's groups, sorted */
  delegatorGroups: string[] | null;
  purpose: string;
  taskRef: string | null;
  depth: number;
};

type Lease = { id: string; runId: string; agentId: string; environment: string; maxToolCalls: number; toolCallsUsed: number };

/** A decision request on a loaded chain, as policies see it: the one mapping both decision paths and what-if use. */
export function policyCallOf(leases: Lease[], facts: ChainFacts, agentStatus: string | null, request: DecisionRequest, at: Date): PolicyCall {
  const leaf = leases[0]!;
  return {
    tool: request.tool,
    runId: leaf.runId,
    agent: { id: leaf.agentId, name: facts.agentName, status: agentStatus ?? "unknown", environments: facts.agentEnvironments },
    delegator: facts.delegatorId ? { id: facts.delegatorId, email: facts.delegatorEmail ?? "", role: facts.delegatorRole ?? "", status: facts.delegatorStatus ?? "", groups: facts.delegatorGroups ?? [] } : null,
    lease: { id: leaf.id, purpose: facts.purpose, taskRef: facts.taskRef, environment: leaf.environment, depth: facts.depth },
    resource: request.resource ?? null,
    environment: request.context?.environment ?? leaf.environment,
    at,
    remainingToolCalls: Math.min(...leases.map((l) => Math.max(0, l.maxToolCalls - l.toolCallsUsed))),
    approved: !!request.approvalId,
    argumentsDigest: request.argumentsDigest ?? null,
  };
}
