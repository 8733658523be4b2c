import { randomBytes } from "node:crypto";

export type IdPrefix = "usr" | "agt" | "run" | "lse" | "dec" | "esc" | "apr" | "evt" | "ep" | "vot" | "key" | "whk" | "dlv" | "chk" | "con" | "crd" | "dyn" | "obo" | "grp" | "ent" | "rte" | "pky" | "ntf" | "rvw" | "ses";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

let pool = Buffer.alloc(0);
let poolAt = 0;

/** A readable, prefixed, unguessable id: `lse_` + 20 base-36 characters (~103 bits). */
export function newId(prefix: IdPrefix): string {
  // Random bytes drawn from a pool refilled 4 KiB at a time: one call into the CSPRNG per ~200 ids
  // instead of one per id (the decision hot path makes two or three ids per call). Each byte is used once.
  if (poolAt + 20 > pool.length) {
    pool = randomBytes(4096);
    poolAt = 0;
  }
  let out = "";
  for (let i = poolAt; i < poolAt + 20; i++) out += ALPHABET[pool[i]! % 36];
  poolAt += 20;
  return `${prefix}_${out}`;
}

