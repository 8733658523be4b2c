import type { Reason, ReasonCode, DecisionRequest } from "@/lib/decisions/schemas";
import { DATA_CLASSES, PRODUCTION, type Grant } from "@/lib/leases/schemas";
import { matchGrant } from "@/lib/leases/scope";
import type { ToolInfo } from "@/lib/tools/catalog";
import { needsStepUp } from "@/lib/tools/risk";
import type { LeaseClaims } from "@/lib/tokens/lease-token";
import type { PolicyStamp } from "@/lib/policy/stamp";
import { driftMessage, driftOf, intentFindings } from "@/lib/intent/check";
import type { Drift, Intent } from "@/lib/intent/schemas";

export type ChainLease = {
  id: string;
  runId: string;
  agentId: string;
  status: string;
  expiresAt: Date;
  toolCallsUsed: number;
  maxToolCalls: number;
  grants: Grant[];
  deny: string[];
  requireApproval: string[];
  environment: string;
  version: number;
  /** the declared task (lib/intent); absent or null: none */
  intent?: Intent | null;
};

/** `policy`: what the policy (Cedar) said, set once it has been asked (lib/policy/apply.ts). `drift`: how the call is off the chain's intent. */
export type Verdict =
  // requiredApprovals on an approval-backed allow: what policy's @approvals asks of that approval (checked as it is consumed)
  | { outcome: "allow"; reasons: Reason[]; approvalId?: string; requiredApprovals?: number; policy?: PolicyStamp; drift?: Drift }
  | { outcome: "deny"; reasons: Reason[]; policy?: PolicyStamp; drift?: Drift }
  | { outcome: "escalate"; reasons: Reason[]; requiredApprovals?: number; policy?: PolicyStamp; drift?: Drift };

const STATUS_REASON: Record<string, ReasonCode> = {
  pending_approval: "lease_pending",
  expired: "lease_expired",
  revoked: "lease_revoked",
  exhausted: "lease_exhausted",
  completed: "lease_completed",
  denied: "lease_denied",
};

const deny = (code: ReasonCode, message: string): Verdict => ({ outcome: "deny", reasons: [{ code, message }] });

/**
 * The policy of one tool call, as a pure function of the lease chain (leaf first, then its ancestors),
 * the agent's status and the catalog entry. It reads no clock and no database; the caller commits the
 * verdict with conditional writes that re-check status, expiry and budget atomically.
 */
export function evaluate(p: {
  claims: LeaseClaims;
  chain: ChainLease[];
  agentStatus: string | null;
  /** the status of the person who delegated the chain (every lease of it carries the root's delegator); null: none on record */
  delegatorStatus: string | null;
  tool: ToolInfo | undefined;
  request: DecisionRequest;
  now: Date;
  /** the calling agent's drift mode: "enforce" escalates an off-intent call, anything else flags it */
  driftMode?: string | null;
}): Verdict {
  const leaf = p.chain[0];
  const { request: r } = p;
  if (!leaf) return deny("lease_not_found", `lease ${p.claims.leaseId} does not exist`);
  if (leaf.runId !== p.claims.runId || leaf.agentId !== p.claims.agentId) return deny("token_invalid", "lease token does not match its lease");
  for (const l of p.chain) {
    const which = l === leaf ? "the lease" : `ancestor lease ${l.id}`;
    const code = STATUS_REASON[l.status];
    if (code) return deny(code, `${which} is ${l.status.replace("_", " ")}`);
    if (l.status !== "active") return deny("lease_revoked", `${which} is in an unknown state`);
    if (l.expiresAt.getTime() <= p.now.getTime()) return deny("lease_expired", `${which} expired at ${l.expiresAt.toISOString()}`);
    if (l.toolCallsUsed >= l.maxToolCalls) return deny("lease_exhausted", `${which} has used all ${l.maxToolCalls} tool calls`);
  }
  if (p.agentStatus !== "active") return deny("agent_suspended", `the agent is ${p.agentStatus ?? "unknown"}`);
  // Authority flows from a person: once they are disabled (or were never on record), nothing they delegated is allowed.
  if (p.delegatorStatus !== "active") return deny("delegator_inactive", p.delegatorStatus ? `the delegating person is ${p.delegatorStatus}` : "the lease names no delegating person");
  const deniedBy = p.chain.find((l) => l.deny.includes(r.tool));
  if (deniedBy) return deny("tool_denied", `${r.tool} is never allowed by ${deniedBy === leaf ? "the lease" : `ancestor lease ${deniedBy.id}`}`);
  // A call that names no environment is judged in the lease's (never skipped); naming another is a mismatch.
  const env = r.context?.environment ?? leaf.environment;
  if (env !== leaf.environment) return deny("environment_mismatch", `the lease is for ${leaf.environment}, not ${env}`);
  const scope = r.resource ? ` on ${r.resource.type} ${r.resource.id}` : "";
  const match = matchGrant(leaf.grants, r.tool, r.resource);
  const matched: { lease: ChainLease; grant: Grant }[] = match.ok ? [{ lease: leaf, grant: match.grant }] : [];
  if (!match.ok) {
    return match.code === "tool_not_granted"
      ? deny("tool_not_granted", `${r.tool} is not granted by the lease`)
      : deny("resource_out_of_scope", `${r.tool}${scope || " without a resource"} is outside the lease's resource scope`);
  }
  // A lease never allows more than any ancestor, whatever its own row says (defense in depth).
  for (const a of p.chain.slice(1)) {
    const up = matchGrant(a.grants, r.tool, r.resource);
    if (!up.ok) {
      return up.code === "tool_not_granted"
        ? deny("tool_not_granted", `${r.tool} is not granted by ancestor lease ${a.id}`)
        : deny("resource_out_of_scope", `${r.tool}${scope || " without a resource"} is outside ancestor lease ${a.id}'s resource scope`);
    }
    matched.push({ lease: a, grant: up.grant });
  }
  // The constraints of the grant each lease of the chain allows the call by (maxRecords is counted at commit: recordLimits).
  for (const { lease, grant } of matched) {
    const broken = constraintBroken(grant, r);
    if (broken) return deny("constraint_violated", `${r.tool}${scope}: ${broken}${lease === leaf ? "" : ` (a constraint of ancestor lease ${lease.id})`}`);
  }
  // Read-only by default in production: a tool that writes needs an explicit production grant on every lease of the chain.
  const productionWrite = leaf.environment === PRODUCTION && p.tool?.readOnly !== true && !matched.every((m) => m.grant.production === true);
  const stepUp = p.chain.some((l) => l.requireApproval.includes(r.tool)) || needsStepUp(p.tool) || productionWrite;
  // After the grant checks: only a call the grants allow can be off-intent (lib/intent).
  const drift = driftOf(intentFindings(p.chain, r), p.driftMode);
  if (stepUp) {
    if (r.approvalId) {
      return withDrift(drift, leaf.id, r, { outcome: "allow", approvalId: r.approvalId, reasons: [{ code: "approval_granted", message: `${r.tool}${scope} was approved by people (${r.approvalId})` }] });
    }
    const why = productionWrite && !needsStepUp(p.tool)
      ? `${p.tool ? "a tool that is not read-only" : "a tool missing from the catalog"} in ${PRODUCTION} without an explicit production grant`
      : p.tool ? `${p.tool.risk}-risk tool` : "tool missing from the catalog";
    return withDrift(drift, leaf.id, r, { outcome: "escalate", reasons: [{ code: "approval_required", message: `${r.tool}${scope} needs step-up approval (${leaf.requireApproval.includes(r.tool) ? "the lease requires it" : why})` }] });
  }
  return withDrift(drift, leaf.id, r, { outcome: "allow", reasons: [{ code: "granted", message: `${r.tool}${scope} is granted by the lease` }] });
}

/**
 * An off-intent call: in enforce mode one the grants allow waits for people (intent_drift, first, so the
 * escalation's justification says why), and an approval for it allows it; in advisory mode it is allowed
 * with an intent_drift reason. Either way the verdict carries the drift, stored on the decision row.
 */
function withDrift(drift: Drift | undefined, leafId: string, r: DecisionRequest, v: Verdict): Verdict {
  if (!drift || v.outcome === "deny") return v;
  const why: Reason = { code: "intent_drift", message: driftMessage(drift, leafId) };
  if (v.outcome === "allow" && v.approvalId) return { ...v, drift };
  if (drift.mode === "advisory") return { ...v, reasons: [...v.reasons, why], drift };
  if (v.outcome === "escalate") return { ...v, reasons: [why, ...v.reasons], drift };
  if (r.approvalId) return { outcome: "allow", approvalId: r.approvalId, reasons: [{ code: "approval_granted", message: `${r.tool} was approved by people (${r.approvalId}) although off-intent` }], drift };
  return { outcome: "escalate", reasons: [why], drift };
}

/** The most sensitive data class: what a call that names none is judged as. */
const TOP_CLASS: (typeof DATA_CLASSES)[number] = "secret";

/** Why `request` breaks a stateless constraint of `grant` (dataClasses, tenant, a countable resource for maxRecords), or null. Pure. */
export function constraintBroken(grant: Grant, request: DecisionRequest): string | null {
  const c = grant.constraints;
  if (!c) return null;
  const attrs = request.resource?.attributes ?? {};
  if (c.dataClasses) {
    const named = attrs.dataClass;
    const dataClass = named === undefined ? TOP_CLASS : String(named);
    if (!(c.dataClasses as string[]).includes(dataClass)) {
      return `data class ${dataClass}${named === undefined ? " (none given: judged as the most sensitive)" : ""} is not among the grant's ${c.dataClasses.join(", ")}`;
    }
  }
  if (c.tenant !== undefined) {
    if (attrs.tenant === undefined) return `the grant is for tenant ${c.tenant}; the call names no tenant`;
    if (String(attrs.tenant) !== c.tenant) return `the grant is for tenant ${c.tenant}, not ${String(attrs.tenant)}`;
  }
  if (c.maxRecords !== undefined && !request.resource) return `the grant counts records (at most ${c.maxRecords}); the call names no resource`;
  return null;
}

/** The resource key a maxRecords constraint counts: distinct (type, id). */
export const recordKey = (resource: { type: string; id: string }) => `${resource.type}:${resource.id}`;

/**
 * The leases of the chain whose matched grant limits distinct records, with their limits: what an allow of
 * this call must count, atomically, before it commits (lib/decisions/decide.ts). Empty for the common call.
 */
export function recordLimits(chain: ChainLease[], request: DecisionRequest): { leaseId: string; max: number }[] {
  if (!request.resource) return [];
  const out: { leaseId: string; max: number }[] = [];
  for (const l of chain) {
    const m = matchGrant(l.grants, request.tool, request.resource);
    const max = m.ok ? m.grant.constraints?.maxRecords : undefined;
    if (max !== undefined) out.push({ leaseId: l.id, max });
  }
  return out;
}
