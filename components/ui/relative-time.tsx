"use client";
import { formatRelative, formatUtc } from "@/components/ui/time";
import { useNow } from "@/components/ui/use-now";

/** "in 12 min" / "3 h ago", with the absolute UTC time as the machine-readable value and tooltip. */
export function RelativeTime({ iso, testId, never = "never" }: { iso: string | null; testId?: string; never?: string }) {
  const now = useNow(15_000);
  if (!iso) return <span data-testid={testId}>{never}</span>;
  return (
    <time dateTime={iso} title={formatUtc(iso)} data-testid={testId}>
      {now === null ? formatUtc(iso) : formatRelative(iso, now)}
    </time>
  );
}
