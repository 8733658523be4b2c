// Its own module: lib/decisions/evaluate.ts (the verdict) and lib/policy/apply.ts (which sets it) both need it.
/** What a decision records of the policy in force (the response's `policy`, the decision row's column). */
export type PolicyStamp = {
  /** the published version evaluated; null: none published (or a draft, in what-if) */
  version: number | null;
  determinedBy: string[];
  /** the lease rules' outcome before policy: what replay combines a draft's answer with */
  lease: "allow" | "deny" | "escalate";
};
