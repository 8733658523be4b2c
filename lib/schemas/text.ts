// A UTF-16 surrogate without its partner: it has no UTF-8 form, so jsonb refuses it and text would store U+FFFD.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored in (or compared with) PostgreSQL text or jsonb, or null when it can. */
export function badString(s: string): string | null {
  if (s.includes("\u0000")) return "must not contain NUL (\\u0000)";
  if (LONE_SURROGATE.test(s)) return "must be well-formed Unicode (a lone surrogate was found)";
  return null;
}
