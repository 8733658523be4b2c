import { now } from "@/lib/clock";
import type { Db } from "@/lib/db";
import { evaluateChain, loadChain } from "@/lib/decisions/decide";
import type { DecisionRequest, Reason } from "@/lib/decisions/schemas";
import { notFound } from "@/lib/errors";
import { applyPolicy } from "@/lib/policy/apply";
import { livePolicy, type LivePolicy } from "@/lib/policy/current";
import { evaluatePolicy } from "@/lib/policy/evaluate";
import { compileDraft } from "@/lib/policy/replay";
import { loadSchemaData } from "@/lib/policy/schema";
import type { WhatIfCall } from "@/lib/policy/schemas";
import { toolCatalog } from "@/lib/tools/catalog";

/**
 * POST /api/v1/policies/what-if: the answer a call would get now (or at `at`), under the published
 * policy or a draft, without effects: nothing written, no budget taken, no escalation opened. With a
 * lease, the lease rules are applied first, exactly as a decision applies them (evaluateChain); without
 * one, only policy is asked, for the agent and delegating person named (the lease's context is empty
 * and its remaining budget 0).
 */
export async function whatIf(db: Db, input: { text?: string; call: WhatIfCall }) {
  const { call } = input;
  const policy: LivePolicy = input.text !== undefined ? { version: 0, set: compileDraft(input.text, await loadSchemaData(db)) } : await livePolicy(db);
  const version = input.text !== undefined ? null : policy.version;
  const at = call.at ? new Date(call.at) : now();
  const request: DecisionRequest = {
    leaseToken: "",
    tool: call.tool,
    ...(call.resource ? { resource: call.resource } : {}),
    ...(call.environment ? { context: { environment: call.environment } } : {}),
    ...(call.approved ? { approvalId: "apr_whatif" } : {}),
    ...(call.argumentsDigest ? { argumentsDigest: call.argumentsDigest } : {}),
  };
  if (call.leaseId) {
    const chain = await loadChain(db, call.leaseId);
    const leaf = chain.leases[0];
    if (!leaf) throw notFound(`lease ${call.leaseId}`);
    const claims = { leaseId: leaf.id, runId: leaf.runId, agentId: leaf.agentId, parentLeaseId: null, iat: 0, exp: 0 };
    const verdict = evaluateChain(claims, chain, (await toolCatalog(db)).get(call.tool), request, at, policy);
    return { decision: verdict.outcome, reasons: verdict.reasons, leaseOutcome: verdict.policy?.lease ?? verdict.outcome, policy: { version, draft: version === null, determinedBy: verdict.policy?.determinedBy ?? [] } };
  }
  const agent = call.agentId ? await db.agent.findUnique({ where: { id: call.agentId } }) : null;
  if (!agent) throw notFound(call.agentId ? `agent ${call.agentId}` : "agent (name a leaseId or an agentId)");
  const person = call.delegatorId ? await db.user.findUnique({ where: { id: call.delegatorId } }) : null;
  if (call.delegatorId && !person) throw notFound(`person ${call.delegatorId}`);
  const groups = person ? (await db.groupMember.findMany({ where: { userId: person.id }, select: { group: { select: { name: true } } } })).map((m) => m.group.name).sort() : [];
  const reasons: Reason[] = [];
  let decision: "allow" | "deny" | "escalate" = "allow";
  let determinedBy: string[] = [];
  if (policy.set) {
    const r = evaluatePolicy(policy.set, {
      tool: call.tool,
      runId: "",
      agent: { id: agent.id, name: agent.name, status: agent.status, environments: agent.environments },
      delegator: person ? { id: person.id, email: person.email, role: person.role, status: person.status, groups } : null,
      lease: { id: "", purpose: "", taskRef: null, environment: call.environment ?? "", depth: 0 },
      resource: call.resource ?? null,
      environment: call.environment ?? "",
      at,
      remainingToolCalls: 0,
      approved: !!call.approved,
      argumentsDigest: call.argumentsDigest ?? null,
    });
    const v = applyPolicy({ outcome: "allow", reasons: [] }, r, call.tool, call.approved ? "apr_whatif" : undefined);
    decision = v.outcome;
    reasons.push(...v.reasons);
    determinedBy = r.determinedBy;
  } else if ("broken" in policy) {
    decision = "deny";
    reasons.push({ code: "policy_error", message: `policy version ${policy.version} no longer validates: ${policy.broken}` });
  }
  return { decision, reasons, leaseOutcome: null, policy: { version, draft: version === null, determinedBy } };
}
