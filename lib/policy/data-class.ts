import { DATA_CLASSES } from "@/lib/leases/schemas";

const KNOWN = new Set<string>(DATA_CLASSES);

/**
 * A resource attribute as policies see it (a tag). `dataClass` is judged as the grant constraints and the
 * intent check judge it, never as a spelling that slips past a policy: a known class in any case or
 * padding is that class ("SECRET" is "secret"), and any other value is the most sensitive class, as a
 * class a grant constraint does not know is refused. Other attributes are passed as sent.
 */
export function policyTag(key: string, value: string | number | boolean): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (key !== "dataClass") return text;
  const named = text.trim().toLowerCase();
  return KNOWN.has(named) ? named : "secret";
}
