import { riskOf } from "@/lib/tools/risk";

/**
 * Must a vote give a reason? Always to deny (the agent's operator and the audit log read it), and to
 * approve anything critical (or of unknown risk, which counts as critical). Pure: the vote form and
 * castVote apply this same rule.
 */
export function voteNeedsReason(verdict: "approve" | "deny", risk: string | null | undefined): boolean {
  return verdict === "deny" || riskOf(risk) >= riskOf("critical");
}
