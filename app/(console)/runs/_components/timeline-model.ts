import type { RunEvent, RunEventType } from "./use-run-events";
import type { Drift } from "@/lib/intent/schemas";

export type Reason = { code: string; message: string };
export type ResourceRef = { type: string; id: string } | null;

/** One line of the timeline: an event, or an escalation whose created and decided events share one row. */
export type TimelineRow =
  | { kind: "event"; key: string; event: RunEvent; outcome?: RunEvent }
  | { kind: "escalation"; key: string; created: RunEvent | null; decided: RunEvent | null; consumed?: RunEvent; votes: RunEvent[] }
  | { kind: "delegated"; key: string; event: RunEvent; childRunId: string; children: TimelineRow[] };

export type TimelineModel = { rows: TimelineRow[]; denials: number; decisions: number };

function payload<T>(e: RunEvent): Partial<T> {
  return (e.data.payload && typeof e.data.payload === "object" ? e.data.payload : {}) as Partial<T>;
}

export const decisionPayload = (e: RunEvent) => payload<{ resource: ResourceRef; reasons: Reason[]; latencyMs: number; approvalId: string | null; context: unknown; arguments: unknown; argumentsDigest: unknown; drift?: Drift }>(e);
export const outcomePayload = (e: RunEvent) => payload<{ status: string; resultDigest: string | null; durationMs: number | null; summary: string | null }>(e);
export const escalationPayload = (e: RunEvent) => payload<{ kind: string; resource: ResourceRef; justification: string; reason: string; status: string; expiresAt: string }>(e);
export const votePayload = (e: RunEvent) => payload<{ verdict: string; reason: string }>(e);
export const leasePayload = (e: RunEvent) =>
  payload<{ lease: { id: string; agentId: string; maxToolCalls: number; expiresAt: string; grants: { tool: string }[]; status: string }; parentRunId: string; pendingBecause: unknown; reason: string; status: string; cascadedFrom: string[] | null; grant: { tool: string }; from: { expiresAt: string; maxToolCalls: number }; to: { expiresAt: string; maxToolCalls: number } }>(e);

export function isDenial(row: TimelineRow): boolean {
  if (row.kind === "event") return row.event.type === "decision" && row.event.data.outcome === "deny";
  if (row.kind === "escalation") return (row.decided?.data.outcome ?? "") === "denied";
  return false;
}

/**
 * Builds the nested timeline: each run's events in seq order, an escalation's decision folded into
 * the row of its question, and a subagent run's rows under the `lease.delegated` event that opened it.
 * Events of a run whose delegation is not (yet) known are shown at the top level rather than dropped.
 */
export function buildTimeline(rootRunId: string, events: RunEvent[]): TimelineModel {
  const rowsByRun = new Map<string, TimelineRow[]>();
  const escalations = new Map<string, Extract<TimelineRow, { kind: "escalation" }>>();
  const placedChildren = new Set<string>();
  const seenDecisions = new Set<string>();
  const afterDecision = new Map<string, Extract<TimelineRow, { kind: "escalation" }>>();
  const decisionRows = new Map<string, Extract<TimelineRow, { kind: "event" }>>();
  const rowsOf = (runId: string) => {
    let rows = rowsByRun.get(runId);
    if (!rows) rowsByRun.set(runId, (rows = []));
    return rows;
  };
  let denials = 0;
  let decisions = 0;
  for (const e of events) {
    const runId = e.data.runId ?? rootRunId;
    const type: RunEventType = e.type;
    if (type === "decision") {
      decisions++;
      if (e.data.outcome === "deny") denials++;
    }
    if (type === "lease.delegated") {
      const parent = leasePayload(e).parentRunId ?? rootRunId;
      rowsOf(parent).push({ kind: "delegated", key: e.data.seq, event: e, childRunId: runId, children: [] });
      placedChildren.add(runId);
      continue;
    }
    if ((type === "escalation.created" || type === "escalation.voted" || type === "escalation.decided") && e.data.escalationId) {
      let row = escalations.get(e.data.escalationId);
      if (!row) {
        row = { kind: "escalation", key: e.data.seq, created: null, decided: null, votes: [] };
        escalations.set(e.data.escalationId, row);
        // A decision that escalates writes its question first: show the question under the decision.
        if (type === "escalation.created" && e.data.decisionId && !seenDecisions.has(e.data.decisionId)) afterDecision.set(e.data.decisionId, row);
        else rowsOf(runId).push(row);
      }
      if (type === "escalation.created") row.created = e;
      // Each person's vote, in order: the decided event names only the one that settled it.
      else if (type === "escalation.voted") row.votes.push(e);
      // The agent using an approval arrives as escalation.decided too: it must not replace who approved and why.
      else if (e.data.action === "escalation.consumed") row.consumed = e;
      else row.decided = e;
      continue;
    }
    // What an allowed call did is shown on its decision's row (its own row only if the decision is not in view).
    const decided = type === "decision.outcome" && e.data.decisionId ? decisionRows.get(e.data.decisionId) : undefined;
    if (decided) {
      decided.outcome = e;
      continue;
    }
    const row = { kind: "event" as const, key: e.data.seq, event: e };
    rowsOf(runId).push(row);
    if (type === "decision" && e.data.decisionId) {
      decisionRows.set(e.data.decisionId, row);
      seenDecisions.add(e.data.decisionId);
      const asked = afterDecision.get(e.data.decisionId);
      if (asked) {
        afterDecision.delete(e.data.decisionId);
        rowsOf(runId).push(asked);
      }
    }
  }
  for (const row of afterDecision.values()) rowsOf(row.created?.data.runId ?? rootRunId).push(row);
  const attach = (rows: TimelineRow[], seen: Set<string>) => {
    for (const row of rows) {
      if (row.kind !== "delegated" || seen.has(row.childRunId)) continue;
      seen.add(row.childRunId);
      row.children = rowsByRun.get(row.childRunId) ?? [];
      attach(row.children, seen);
    }
  };
  const root = rowsByRun.get(rootRunId) ?? [];
  const seen = new Set([rootRunId]);
  attach(root, seen);
  for (const [runId, rows] of rowsByRun) {
    if (seen.has(runId) || placedChildren.has(runId)) continue;
    root.push(...rows);
  }
  attach(root, seen);
  return { rows: root, denials, decisions };
}

/** Only the denials, keeping the subagent rows that lead to one. */
export function onlyDenials(rows: TimelineRow[]): TimelineRow[] {
  const out: TimelineRow[] = [];
  for (const row of rows) {
    if (row.kind === "delegated") {
      const children = onlyDenials(row.children);
      if (children.length) out.push({ ...row, children });
    } else if (isDenial(row)) out.push(row);
  }
  return out;
}
