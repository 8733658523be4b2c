/** A fixed, unambiguous rendering (server and browser agree on it): "2026-06-23 10:42 UTC". */
export function formatUtc(iso: string | Date | null | undefined): string {
  if (!iso) return "—";
  const d = typeof iso === "string" ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return "—";
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** "in 12 min", "3 h ago" … relative to `now`. */
export function formatRelative(iso: string | Date | null | undefined, now: number): string {
  if (!iso) return "never";
  const t = (typeof iso === "string" ? new Date(iso) : iso).getTime();
  const diff = t - now;
  const span = formatDuration(Math.abs(diff) / 1000);
  return diff >= 0 ? `in ${span}` : `${span} ago`;
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.round(h / 24)} d`;
}
