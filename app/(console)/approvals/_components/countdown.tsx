"use client";
import { formatUtc } from "@/components/ui/time";
import { useNow } from "@/components/ui/use-now";

function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** Time left to decide, ticking every second; red in the last two minutes. */
export function Countdown({ expiresAt, suffix = " left", testId = "countdown" }: { expiresAt: string; suffix?: string; testId?: string }) {
  const now = useNow(1_000);
  if (now === null) {
    return (
      <time dateTime={expiresAt} data-testid={testId} className="tabular-nums">
        until {formatUtc(expiresAt)}
      </time>
    );
  }
  const left = (new Date(expiresAt).getTime() - now) / 1000;
  const tone = left <= 0 ? "text-slate-500" : left < 120 ? "font-semibold text-rose-700" : left < 300 ? "font-medium text-amber-800" : "text-slate-700";
  return (
    <time dateTime={expiresAt} title={`expires ${formatUtc(expiresAt)}`} data-testid={testId} className={`tabular-nums whitespace-nowrap ${tone}`}>
      {left > 0 ? `${clock(left)}${suffix}` : "expired"}
    </time>
  );
}
