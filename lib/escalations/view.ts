import type { EscalationView } from "@/lib/escalations/schemas";

export const escalationInclude = { votes: { include: { voter: { select: { email: true } } }, orderBy: { createdAt: "asc" } } } as const;

type Row = {
  id: string;
  kind: string;
  leaseId: string;
  runId: string;
  agentId: string;
  tool: string | null;
  resource: unknown;
  arguments: unknown;
  argumentsDigest: string | null;
  extension: unknown;
  justification: string;
  status: string;
  requiredApprovals: number;
  approvalId: string | null;
  approvalExpiresAt: Date | null;
  expiresAt: Date;
  createdAt: Date;
  decidedAt: Date | null;
  votes: { verdict: string; reason: string; createdAt: Date; voter: { email: string } }[];
};

export function toEscalationView(e: Row): EscalationView {
  return {
    id: e.id,
    kind: e.kind as EscalationView["kind"],
    leaseId: e.leaseId,
    runId: e.runId,
    agentId: e.agentId,
    tool: e.tool,
    resource: (e.resource as EscalationView["resource"]) ?? null,
    arguments: (e.arguments as EscalationView["arguments"]) ?? null,
    argumentsDigest: e.argumentsDigest,
    extension: (e.extension as EscalationView["extension"]) ?? null,
    justification: e.justification,
    status: e.status as EscalationView["status"],
    requiredApprovals: e.requiredApprovals,
    approvals: e.votes.map((v) => ({ by: v.voter.email, verdict: v.verdict as "approve" | "deny", reason: v.reason, at: v.createdAt.toISOString() })),
    approvalId: e.approvalId,
    approvalExpiresAt: e.approvalExpiresAt?.toISOString() ?? null,
    expiresAt: e.expiresAt.toISOString(),
    createdAt: e.createdAt.toISOString(),
    decidedAt: e.decidedAt?.toISOString() ?? null,
  };
}
