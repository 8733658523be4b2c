// What lease tokens and the keys that sign them both need. Its own module so that keys.ts and
// lease-token.ts need not import each other (they did: an import cycle).

/** The one signature algorithm of lease tokens, receipts and checkpoints. */
export const ALG = "EdDSA";
/** Leeway for clocks that disagree a little between Lanyard instances and the machines around them. */
export const CLOCK_TOLERANCE_S = 30;
