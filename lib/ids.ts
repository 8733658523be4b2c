import { randomBytes } from "node:crypto";

export type IdPrefix = "usr" | "agt" | "run" | "lse" | "dec" | "esc" | "apr" | "evt" | "ep" | "vot" | "key" | "whk" | "dlv" | "chk" | "con" | "crd" | "dyn" | "obo";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** A readable, prefixed, unguessable id: `lse_` + 20 base-36 characters (~103 bits). */
export function newId(prefix: IdPrefix): string {
  const bytes = randomBytes(20);
  let out = "";
  for (const b of bytes) out += ALPHABET[b % 36];
  return `${prefix}_${out}`;
}
