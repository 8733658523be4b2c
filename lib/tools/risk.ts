const ORDER = { low: 0, medium: 1, high: 2, critical: 3 } as const;

/** Numeric order of a risk; an unknown risk ranks as critical (fail closed). */
export function riskOf(risk: string | undefined | null): number {
  return risk && Object.hasOwn(ORDER, risk) ? ORDER[risk as keyof typeof ORDER] : ORDER.critical;
}

/** Calls of high and critical tools wait for a person unless a step-up approval is presented. */
export function needsStepUp(tool: { risk: string; alwaysStepUp: boolean } | undefined): boolean {
  return !tool || tool.alwaysStepUp || riskOf(tool.risk) >= ORDER.high;
}

/** Default approvers by risk: critical needs two distinct people, everything else one; a tool may say more. */
export function requiredApprovalsFor(risk: string, override: number | null | undefined): number {
  if (override) return override;
  return riskOf(risk) >= ORDER.critical ? 2 : 1;
}

/** How long an escalation waits for people before it expires: critical 15 min, everything else 60 min. */
export function stepUpWindowMs(risk: string): number {
  return (riskOf(risk) >= ORDER.critical ? 15 : 60) * 60_000;
}

/** How long a granted step-up approval may be presented. */
export const APPROVAL_TTL_MS = 5 * 60_000;
