type Person = { email: string; name: string | null };
type Approval = { kind: string; tool: string | null; votes: { by: Person; verdict: string }[] };

export type ApprovalsSaid = {
  /** Who approved the lease itself (its approver, or the approve votes on its lease request). */
  lease: string[];
  /** Who approved something else on it — a step-up for one call, or more permission — and what. */
  other: { kind: string; tool: string | null; by: string[] }[];
};

const nameOf = (p: Person) => p.name ?? p.email;

/**
 * Who approved what, for the explain view's headline and its "Approved by" step alike: a person who
 * approved a step-up approved that call, not the lease (the headline used to merge the two).
 */
export function approvalsSaid(x: { leaseApprovedBy: Person | null; approvals: Approval[] }): ApprovalsSaid {
  const lease = new Set<string>();
  if (x.leaseApprovedBy) lease.add(nameOf(x.leaseApprovedBy));
  const other: ApprovalsSaid["other"] = [];
  for (const a of x.approvals) {
    const by = [...new Set(a.votes.filter((v) => v.verdict === "approve").map((v) => nameOf(v.by)))];
    if (a.kind === "lease_request") for (const n of by) lease.add(n);
    else if (by.length) other.push({ kind: a.kind, tool: a.tool, by });
  }
  return { lease: [...lease], other };
}
