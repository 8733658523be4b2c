import { riskOf } from "@/lib/tools/risk";

/**
 * What a person may delegate on their own: admins anything within the ceilings; everyone else anything
 * but critical-risk tools. Returns why a lease must wait for approval, or null. Pure, so the issuance
 * form's preview states exactly the rule the server applies.
 */
export function personNeedsApproval(role: string, tools: string[], riskOfTool: (tool: string) => string | undefined): string | null {
  if (role === "admin") return null;
  const critical = [...new Set(tools.filter((t) => riskOf(riskOfTool(t)) >= riskOf("critical")))];
  return critical.length ? `it grants critical tools (${critical.join(", ")}), which only an admin may delegate without approval` : null;
}
