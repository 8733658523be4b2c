const TONES = {
  green: "bg-emerald-50 text-emerald-800 ring-emerald-600/30",
  amber: "bg-amber-50 text-amber-900 ring-amber-600/30",
  red: "bg-rose-50 text-rose-800 ring-rose-600/30",
  blue: "bg-sky-50 text-sky-800 ring-sky-600/30",
  violet: "bg-violet-50 text-violet-800 ring-violet-600/30",
  slate: "bg-slate-100 text-slate-700 ring-slate-500/30",
} as const;
export type Tone = keyof typeof TONES;

export function Badge({ tone, children, testId, title }: { tone: Tone; children: React.ReactNode; testId?: string; title?: string }) {
  return (
    <span
      data-testid={testId}
      title={title}
      className={`inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset ${TONES[tone]}`}
    >
      <span aria-hidden className="size-1.5 rounded-full bg-current" />
      {children}
    </span>
  );
}

const STATUS_TONE: Record<string, Tone> = {
  active: "green",
  allow: "green",
  approved: "green",
  pending_approval: "amber",
  pending: "amber",
  escalate: "amber",
  suspended: "amber",
  exhausted: "violet",
  expired: "slate",
  completed: "blue",
  retired: "slate",
  disabled: "slate",
  revoked: "red",
  denied: "red",
  deny: "red",
};

/** One badge for every status word of the product (agents, leases, people, decisions): colour plus the word itself. */
export function StatusBadge({ status, testId = "status-badge" }: { status: string; testId?: string }) {
  return (
    <Badge tone={STATUS_TONE[status] ?? "slate"} testId={testId}>
      {status.replaceAll("_", " ")}
    </Badge>
  );
}

const RISK_TONE: Record<string, Tone> = { low: "green", medium: "blue", high: "amber", critical: "red" };

export function RiskBadge({ risk }: { risk: string }) {
  return (
    <Badge tone={RISK_TONE[risk] ?? "red"} testId="risk-badge" title={`${risk} risk`}>
      {risk}
    </Badge>
  );
}
