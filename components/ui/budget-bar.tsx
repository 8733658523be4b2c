/** Used of max, as text and as a bar; the text is what assistive tech and tests read. */
export function BudgetBar({ used, max, testId = "budget" }: { used: number; max: number; testId?: string }) {
  const pct = max > 0 ? Math.min(100, Math.round((used / max) * 100)) : 100;
  const tone = pct >= 90 ? "bg-rose-500" : pct >= 70 ? "bg-amber-500" : "bg-emerald-500";
  return (
    <div className="min-w-28" data-testid={testId}>
      <div className="text-sm whitespace-nowrap tabular-nums">
        {used} / {max} <span className="text-xs text-slate-500">calls</span>
      </div>
      <div className="mt-1 h-1.5 w-full rounded-full bg-slate-200" role="progressbar" aria-label="Call budget used" aria-valuemin={0} aria-valuemax={max} aria-valuenow={used}>
        <div className={`h-1.5 rounded-full ${tone}`} style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}
