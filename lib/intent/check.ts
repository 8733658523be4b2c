import type { Drift, DriftFinding, DriftMode, Intent } from "@/lib/intent/schemas";
import { withinPrefix } from "@/lib/leases/scope";

/**
 * A call is off-intent on `calls` once the lease has taken more than this many times its expected
 * number: an estimate is an estimate (a retry or two is not drift), a run taking half again as many
 * calls as declared is doing something else.
 */
export const DRIFT_CALL_FACTOR = 1.5;

export type IntentLease = { id: string; intent?: Intent | null; toolCallsUsed: number };
export type IntentCall = { tool: string; resource?: { type: string; id: string; attributes?: Record<string, string | number | boolean> } };

/** The most calls a lease declaring `expectedCalls` takes before a call is off-intent. */
export const callLimit = (expectedCalls: number) => Math.floor(expectedCalls * DRIFT_CALL_FACTOR);

/**
 * How a call is off the intent of each lease of its chain (leaf first, then ancestors) that declares
 * one. Pure; empty means on-intent. Dimensions a call cannot be compared on are not findings: a call
 * without a resource is not checked against `resources` or `dataClasses`. A resource whose dataClass
 * is missing is off an intent that names data classes (as constraints do, unknown is not assumed safe).
 * `calls` counts this call: the lease's toolCallsUsed (every call of its subtree) plus one. It is the
 * count the chain was read with: calls decided at the same moment may each see the same count, so a burst
 * can pass the limit by its concurrency before one is flagged (the budget, not intent, is the hard cap).
 */
export function intentFindings(chain: IntentLease[], call: IntentCall): DriftFinding[] {
  const out: DriftFinding[] = [];
  const seen = new Set<string>();
  const add = (f: DriftFinding) => {
    // A child's intent lies within its parent's: the same miss seen by both is reported once, at the nearest lease.
    const key = `${f.dimension}\u0000${f.expected}\u0000${f.actual}`;
    if (!seen.has(key)) (seen.add(key), out.push(f));
  };
  for (const l of chain) {
    const i = l.intent;
    if (!i) continue;
    if (i.tools && !i.tools.includes(call.tool)) add({ dimension: "tool", leaseId: l.id, expected: i.tools.join(", "), actual: call.tool });
    const r = call.resource;
    if (r && i.resources && !i.resources.some((p) => withinPrefix(p, r.id))) {
      add({ dimension: "resource", leaseId: l.id, expected: i.resources.map((p) => `${p}…`).join(", "), actual: `${r.type} ${r.id}` });
    }
    if (r && i.dataClasses) {
      const dc = r.attributes?.dataClass;
      if (typeof dc !== "string" || !i.dataClasses.includes(dc)) add({ dimension: "dataClass", leaseId: l.id, expected: i.dataClasses.join(", "), actual: typeof dc === "string" ? dc : "none given" });
    }
    if (i.expectedCalls !== undefined) {
      const n = l.toolCallsUsed + 1;
      if (n > callLimit(i.expectedCalls)) add({ dimension: "calls", leaseId: l.id, expected: `about ${i.expectedCalls} (at most ${callLimit(i.expectedCalls)})`, actual: `call ${n}` });
    }
  }
  return out;
}

const WHAT = { tool: "tool", resource: "resource", dataClass: "data class", calls: "call count" } as const;

/** One line an approver reads: each dimension, expected vs actual, and which lease declared it when not the call's own. */
export function driftMessage(drift: Drift, leafId: string | undefined): string {
  const parts = drift.findings.map((f) => `${WHAT[f.dimension]} off-intent: expected ${f.expected}, got ${f.actual}${f.leaseId === leafId ? "" : ` (intent of ancestor lease ${f.leaseId})`}`);
  return `${drift.mode === "enforce" ? "the call is off the run's declared intent" : "allowed, but off the run's declared intent (advisory)"}: ${parts.join("; ")}`;
}

export function driftOf(findings: DriftFinding[], mode: string | null | undefined): Drift | undefined {
  if (!findings.length) return undefined;
  const m: DriftMode = mode === "enforce" ? "enforce" : "advisory";
  return { mode: m, findings };
}

/**
 * A delegated child's intent must lie within its parent's: each dimension the child declares is a
 * subset (tools, data classes), a narrowing (each resource prefix extends one of the parent's) or no
 * more (expected calls). A dimension the child leaves out is not a widening: decisions check every
 * ancestor's intent too.
 */
export function intentWithin(parent: Intent, child: Intent): { path: (string | number)[]; message: string }[] {
  const v: { path: (string | number)[]; message: string }[] = [];
  child.tools?.forEach((t, i) => {
    if (parent.tools && !parent.tools.includes(t)) v.push({ path: ["intent", "tools", i], message: `${t} is not among the parent's intended tools` });
  });
  child.resources?.forEach((p, i) => {
    if (parent.resources && !parent.resources.some((q) => p.startsWith(q))) v.push({ path: ["intent", "resources", i], message: `${p} is not within the parent's intended resources (${parent.resources.join(", ")})` });
  });
  child.dataClasses?.forEach((d, i) => {
    if (parent.dataClasses && !parent.dataClasses.includes(d)) v.push({ path: ["intent", "dataClasses", i], message: `${d} is not among the parent's intended data classes` });
  });
  if (child.expectedCalls !== undefined && parent.expectedCalls !== undefined && child.expectedCalls > parent.expectedCalls) {
    v.push({ path: ["intent", "expectedCalls"], message: `${child.expectedCalls} is more than the parent's ${parent.expectedCalls} expected calls` });
  }
  return v;
}
