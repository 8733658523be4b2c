import type { QueueItem } from "@/lib/escalations/queue";

export type { QueueItem };
export type EscalationKind = QueueItem["kind"];

export const KIND_LABEL: Record<EscalationKind, string> = {
  step_up: "Step-up",
  more_permission: "More permission",
  lease_request: "Lease request",
  extension: "Extension",
};

/** An extension's asked limits, in words (null for other kinds). */
function extensionText(item: QueueItem): string | null {
  const x = item.extension;
  if (!x) return null;
  const parts = [x.expiresAt ? `until ${new Date(x.expiresAt).toLocaleString()}` : null, x.maxToolCalls !== undefined ? `to ${x.maxToolCalls} calls` : null].filter(Boolean);
  return parts.join(" and ");
}

export function resourceText(resource: { type: string; id: string } | null | undefined): string {
  return resource ? `${resource.type} ${resource.id}` : "any resource";
}

/** The question in one line, as the approver should read it. */
export function askText(item: QueueItem): string {
  const agent = item.agent.name;
  if (item.kind === "lease_request") return `${agent} asks for a lease to start its run`;
  if (item.kind === "extension") return `${agent}'s lease: asked to extend it ${extensionText(item) ?? ""}`;
  if (item.kind === "more_permission") return `${agent} asks to add ${item.tool} on ${resourceText(item.resource)} to its lease`;
  return `${agent} wants to call ${item.tool} on ${resourceText(item.resource)}`;
}

/** What an approval allows, said plainly. */
export function effectText(item: QueueItem): string {
  const agent = item.agent.name;
  if (item.kind === "step_up") return `Approving lets ${agent} call ${item.tool} on ${resourceText(item.resource)} once, within 5 minutes.`;
  if (item.kind === "extension") return `Approving raises the lease's limits ${extensionText(item) ?? ""}; its grants stay the same.`;
  if (item.kind === "more_permission") return `Approving adds ${item.tool} on ${resourceText(item.resource)} to the lease, for every call until the lease ends.`;
  return `Approving activates the lease: ${agent} may then use every grant below until the lease expires.`;
}

export const approvalsGiven = (item: Pick<QueueItem, "approvals">) => item.approvals.filter((v) => v.verdict === "approve").length;

/** Who settled a decided escalation: the approvers, the person who denied, or the clock. */
export function decidedBy(item: Pick<QueueItem, "status" | "approvals">): string | null {
  if (item.status === "approved" || item.status === "consumed") {
    const by = item.approvals.filter((v) => v.verdict === "approve").map((v) => v.by);
    return by.length ? by.join(" and ") : null;
  }
  if (item.status === "denied") return item.approvals.find((v) => v.verdict === "deny")?.by ?? null;
  return null;
}
