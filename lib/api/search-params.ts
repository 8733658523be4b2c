export type SearchParams = Record<string, string | string[] | undefined>;

/** Next's searchParams with repeated keys reduced to their first value and empty values dropped. */
export function firstParams(sp: SearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(sp)) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined && first !== "") out[k] = first;
  }
  return out;
}
