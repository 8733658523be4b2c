import type { Intent } from "@/lib/intent/schemas";
import type { Grant, LeaseView } from "@/lib/leases/schemas";

export type LeaseRow = {
  id: string;
  runId: string;
  agentId: string;
  parentLeaseId: string | null;
  ancestorIds: string[];
  delegatorId: string | null;
  approvedById: string | null;
  requestedBy: string;
  purpose: string;
  taskRef: string | null;
  /** absent in rows read without it */
  intent?: unknown;
  environment: string;
  grants: unknown;
  deny: string[];
  requireApproval: string[];
  status: string;
  expiresAt: Date;
  maxToolCalls: number;
  toolCallsUsed: number;
  maxDelegationDepth: number;
  depth: number;
  version: number;
  endedReason: string | null;
  createdAt: Date;
  endedAt: Date | null;
};

export function toLeaseView(l: LeaseRow): LeaseView {
  return {
    id: l.id,
    runId: l.runId,
    agentId: l.agentId,
    parentLeaseId: l.parentLeaseId,
    delegatorId: l.delegatorId,
    approvedBy: l.approvedById,
    requestedBy: l.requestedBy,
    purpose: l.purpose,
    taskRef: l.taskRef,
    intent: (l.intent ?? null) as Intent | null,
    environment: l.environment,
    grants: l.grants as Grant[],
    deny: l.deny,
    requireApproval: l.requireApproval,
    status: l.status as LeaseView["status"],
    expiresAt: l.expiresAt.toISOString(),
    maxToolCalls: l.maxToolCalls,
    toolCallsUsed: l.toolCallsUsed,
    maxDelegationDepth: l.maxDelegationDepth,
    depth: l.depth,
    version: l.version,
    endedReason: l.endedReason,
    createdAt: l.createdAt.toISOString(),
    endedAt: l.endedAt?.toISOString() ?? null,
  };
}
