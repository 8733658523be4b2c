/** "2026-11-22 10:42:13 UTC": audit times to the second, the same on server and browser. */
export function formatAuditTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "—";
  return `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** The actor as a person reads it: the label (an email, a key name) before the id. */
export function actorText(e: { actorType: string; actorId: string | null; actorLabel: string | null }): string {
  return e.actorLabel ?? e.actorId ?? e.actorType.replaceAll("_", " ");
}
