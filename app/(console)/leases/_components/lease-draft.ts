import { intentFromTaskRef, parseIntentFields, type Intent } from "@/gateway/task-ref";
import type { Grant, LeaseRequest } from "@/lib/leases/schemas";
import { personNeedsApproval } from "@/lib/leases/delegation-rule";
import { needsStepUp } from "@/lib/tools/risk";
import type { ToolView } from "@/lib/tools/schemas";

/** Where the issuing tab hands the lease token to the lease page, once. */
export const ISSUED_TOKEN_KEY = (id: string) => `lanyard:lease-token:${id}`;

export type AgentOption = { id: string; name: string; environments: string[]; ceiling: { tools: string[]; maxExpiresIn: number; maxToolCalls: number } };
/** `maxRecords`, `dataClasses` (comma-separated), `tenant`, `production`: the grant's constraints (issue 15); empty = none. */
export type GrantDraft = { resourceType: string; resourceIds: string; stepUp: boolean; maxRecords?: string; dataClasses?: string; tenant?: string; production?: boolean };

export type LeaseDraft = {
  agentId: string;
  purpose: string;
  taskRef: string;
  /** the intent box: front-matter keys (resources, tools, dataClasses, expectedCalls), or a whole spec */
  intentText: string;
  environment: string;
  grants: Record<string, GrantDraft>;
  deny: string[];
  expiresMinutes: string;
  maxToolCalls: string;
  maxDelegationDepth: string;
};

const ids = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);

export function toGrant(tool: string, g: GrantDraft): Grant {
  const list = ids(g.resourceIds);
  const grant: Grant = g.resourceType.trim() || list.length ? { tool, resource: { type: g.resourceType.trim(), ids: list } } : { tool };
  // Sent as typed: the API's schema says what is wrong (a number, a known data class) next to the field.
  const constraints = {
    ...(g.maxRecords?.trim() ? { maxRecords: Number(g.maxRecords) } : {}),
    ...(g.dataClasses?.trim() ? { dataClasses: ids(g.dataClasses) } : {}),
    ...(g.tenant?.trim() ? { tenant: g.tenant.trim() } : {}),
  } as Grant["constraints"];
  return { ...grant, ...(Object.keys(constraints ?? {}).length ? { constraints } : {}), ...(g.production ? { production: true } : {}) };
}

/** The intent box parsed as the SDK parses a spec (a text starting with `---` is a spec; else its front matter's keys). */
export function draftIntent(text: string): { intent?: Intent; error?: string } {
  if (!text.trim()) return {};
  try {
    const intent = text.trimStart().startsWith("---") ? intentFromTaskRef(text) : parseIntentFields(text);
    return intent ? { intent } : { error: "names none of resources, tools, dataClasses, expectedCalls" };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** The request body exactly as the API receives it (the caller validates it with LeaseRequest). */
export function toRequest(d: LeaseDraft): Record<keyof LeaseRequest, unknown> {
  const tools = Object.keys(d.grants);
  return {
    agentId: d.agentId,
    runId: undefined,
    purpose: d.purpose.trim(),
    taskRef: d.taskRef.trim() || undefined,
    intent: draftIntent(d.intentText).intent,
    requestedBy: undefined,
    environment: d.environment,
    grants: tools.map((t) => toGrant(t, d.grants[t]!)),
    deny: d.deny.filter((t) => !tools.includes(t)),
    requireApproval: tools.filter((t) => d.grants[t]!.stepUp),
    expiresIn: Math.round(Number(d.expiresMinutes) * 60),
    maxToolCalls: Number(d.maxToolCalls),
    maxDelegationDepth: Number(d.maxDelegationDepth),
  };
}

export type Preview = {
  allowed: Grant[];
  notAllowed: string[];
  needsApproval: { tool: string; why: string }[];
  pendingBecause: string | null;
  overCeiling: string[];
};

/** What the permission prompt says, from the same rules the server applies (lib/leases/delegation-rule.ts, lib/tools/risk.ts). */
export function preview(d: LeaseDraft, agent: AgentOption | undefined, catalog: Map<string, ToolView>, isAdmin: boolean): Preview {
  const tools = Object.keys(d.grants);
  const needsApproval = tools.flatMap((t) => {
    const tool = catalog.get(t);
    if (d.grants[t]!.stepUp) return [{ tool: t, why: "you asked for step-up" }];
    if (needsStepUp(tool)) return [{ tool: t, why: tool?.alwaysStepUp ? "always needs step-up" : `${tool?.risk ?? "unknown"} risk` }];
    return [];
  });
  const overCeiling: string[] = [];
  if (agent) {
    const seconds = Number(d.expiresMinutes) * 60;
    if (seconds > agent.ceiling.maxExpiresIn) overCeiling.push(`expiry is beyond ${agent.name}'s ceiling of ${Math.floor(agent.ceiling.maxExpiresIn / 60)} min`);
    if (Number(d.maxToolCalls) > agent.ceiling.maxToolCalls) overCeiling.push(`call budget is beyond ${agent.name}'s ceiling of ${agent.ceiling.maxToolCalls}`);
  }
  return {
    allowed: tools.map((t) => toGrant(t, d.grants[t]!)),
    notAllowed: d.deny.filter((t) => !tools.includes(t)),
    needsApproval,
    pendingBecause: personNeedsApproval(isAdmin ? "admin" : "requester", tools, (t) => catalog.get(t)?.risk),
    overCeiling,
  };
}
