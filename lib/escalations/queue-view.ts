import { riskOf } from "@/lib/tools/risk";

/** What the queue's ordering, filters and grouping read of an item (a QueueItem has all of it). */
export type QueueEntry = {
  id: string;
  kind: string;
  risk: string;
  tool: string | null;
  resource: unknown;
  argumentsDigest?: string | null;
  expiresAt: string;
  agent: { id: string; name: string };
  lease: { purpose: string; environment: string; grants: unknown[] };
  /** routed to one of the viewer's groups, or to no group (issue 17) */
  assignedToYou?: boolean;
};

export type QueueFilter = { risk?: string | null; agent?: string | null; kind?: string | null; tool?: string | null };

/** The tool a row is about: a lease request is about every tool it asks for. */
export function toolsOf(item: QueueEntry): string[] {
  if (item.tool) return [item.tool];
  return item.lease.grants.map((g) => (g as { tool: string }).tool);
}

export function filterQueue<T extends QueueEntry>(items: readonly T[], f: QueueFilter): T[] {
  return items.filter(
    (i) => (!f.risk || i.risk === f.risk) && (!f.agent || i.agent.id === f.agent) && (!f.kind || i.kind === f.kind) && (!f.tool || toolsOf(i).includes(f.tool)),
  );
}

/** What is assigned to the viewer first; then riskiest first, then the soonest to expire: a critical merge is never below routine requests. */
export function compareQueue(a: QueueEntry, b: QueueEntry): number {
  return Number(Boolean(b.assignedToYou)) - Number(Boolean(a.assignedToYou)) || riskOf(b.risk) - riskOf(a.risk) || Date.parse(a.expiresAt) - Date.parse(b.expiresAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function sortQueue<T extends QueueEntry>(items: readonly T[]): T[] {
  return [...items].sort(compareQueue);
}

/**
 * Requests an approver would answer the same way: same kind, agent, tool and resource (and exact
 * arguments for a held call), or for a lease request the same purpose, environment and grants.
 * Justifications may differ in wording; what would be allowed may not.
 */
export function sameRequestKey(item: QueueEntry): string {
  // An extension is about its own lease and the limits it asks: never identical to another one.
  const ask =
    item.kind === "lease_request" ? [item.lease.purpose, item.lease.environment, item.lease.grants] : item.kind === "extension" ? [item.id] : [item.tool, item.resource ?? null, item.argumentsDigest ?? null];
  return JSON.stringify([item.kind, item.agent.id, ...ask]);
}

export type QueueGroup<T> = { key: string; lead: T; items: T[] };

/**
 * Identical requests folded into one group, in queue order: a group sits where its most urgent
 * member would, and its lead is that member (so eight identical lease requests take one row).
 */
export function groupQueue<T extends QueueEntry>(sorted: readonly T[]): QueueGroup<T>[] {
  const groups = new Map<string, QueueGroup<T>>();
  for (const item of sorted) {
    const key = sameRequestKey(item);
    const group = groups.get(key);
    if (group) group.items.push(item);
    else groups.set(key, { key, lead: item, items: [item] });
  }
  return [...groups.values()];
}

/** The options a filter offers: what is in the queue now (a filter that matches nothing is no help). */
export function filterOptions(items: readonly QueueEntry[]) {
  const agents = new Map<string, string>();
  const tools = new Set<string>();
  for (const i of items) {
    agents.set(i.agent.id, i.agent.name);
    for (const t of toolsOf(i)) tools.add(t);
  }
  return {
    agents: [...agents].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name)),
    tools: [...tools].sort(),
  };
}
