"use client";
import { formatDuration, formatUtc } from "@/components/ui/time";
import { useNow } from "@/components/ui/use-now";

const LIVE = new Set(["active", "pending_approval"]);

/** Counts down to expiry for a live lease; an ended lease says when it ended. */
export function TimeLeft({ status, expiresAt, endedAt, testId = "time-left" }: { status: string; expiresAt: string; endedAt: string | null; testId?: string }) {
  const now = useNow(1_000);
  if (!LIVE.has(status)) {
    return (
      <span data-testid={testId} className="text-slate-500">
        ended {formatUtc(endedAt ?? expiresAt)}
      </span>
    );
  }
  if (now === null) return <span data-testid={testId}>until {formatUtc(expiresAt)}</span>;
  const left = (new Date(expiresAt).getTime() - now) / 1000;
  return (
    <time dateTime={expiresAt} title={formatUtc(expiresAt)} data-testid={testId} className={left < 300 ? "font-medium text-rose-700" : undefined}>
      {left > 0 ? `${formatDuration(left)} left` : "expired"}
    </time>
  );
}
