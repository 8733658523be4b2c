import type { Grant } from "@/lib/leases/schemas";
import { constraintGap, grantCovers, scopeCovers } from "@/lib/leases/scope";

export type Violation = { rule: "grants" | "constraints" | "ceiling" | "deny" | "expiry" | "budget" | "depth" | "require_approval" | "intent"; path: (string | number)[]; message: string };

export type ParentTerms = {
  grants: Grant[];
  deny: string[];
  requireApproval: string[];
  expiresAt: Date;
  remainingToolCalls: number;
  depth: number;
  maxDelegationDepth: number;
};
export type ChildTerms = {
  grants: Grant[];
  deny: string[];
  requireApproval: string[];
  expiresAt: Date;
  maxToolCalls: number;
  maxDelegationDepth: number;
};

/**
 * A child lease must be a strict attenuation of its parent: nothing it allows is beyond the parent.
 * Returns one violation per broken rule (per offending item); empty means the child is acceptable.
 */
export function checkAttenuation(parent: ParentTerms, child: ChildTerms): Violation[] {
  const v: Violation[] = [];
  child.grants.forEach((g, i) => {
    if (!parent.grants.some((p) => grantCovers(p, g))) {
      const scope = g.resource ? ` on ${g.resource.type} ${g.resource.ids.join(", ")}` : " on any resource";
      // Within scope but looser constraints: say which, so the caller can tighten them.
      const gap = parent.grants.filter((p) => scopeCovers(p, g)).map((p) => constraintGap(p, g))[0];
      if (gap) v.push({ rule: "constraints", path: ["grants", i, "constraints"], message: `${g.tool}${scope}: ${gap}` });
      else v.push({ rule: "grants", path: ["grants", i], message: `${g.tool}${scope} is not within the parent lease's grants` });
    }
  });
  for (const d of parent.deny) {
    if (!child.deny.includes(d)) v.push({ rule: "deny", path: ["deny"], message: `the parent never allows ${d}; the child must deny it too` });
  }
  for (const r of parent.requireApproval) {
    if (!child.requireApproval.includes(r)) v.push({ rule: "require_approval", path: ["requireApproval"], message: `the parent requires approval for ${r}; so must the child` });
  }
  if (child.expiresAt.getTime() > parent.expiresAt.getTime()) {
    v.push({ rule: "expiry", path: ["expiresIn"], message: `the child would outlive its parent (parent expires ${parent.expiresAt.toISOString()})` });
  }
  if (child.maxToolCalls > parent.remainingToolCalls) {
    v.push({ rule: "budget", path: ["maxToolCalls"], message: `budget ${child.maxToolCalls} exceeds the parent's remaining ${parent.remainingToolCalls}` });
  }
  if (parent.maxDelegationDepth < 1) {
    v.push({ rule: "depth", path: ["maxDelegationDepth"], message: "the parent lease may not delegate to subagents" });
  } else if (child.maxDelegationDepth > parent.maxDelegationDepth - 1) {
    v.push({ rule: "depth", path: ["maxDelegationDepth"], message: `the child may delegate at most ${parent.maxDelegationDepth - 1} more levels` });
  }
  return v;
}
