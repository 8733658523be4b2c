// One clock for the whole product, so tests can move time (expiry, approval windows) without sleeping.
let offsetMs = 0;

export function now(): Date {
  return new Date(Date.now() + offsetMs);
}

/** Tests only: shift the clock forward (or back) by `ms`. */
export function advanceClock(ms: number): void {
  offsetMs += ms;
}

export function resetClock(): void {
  offsetMs = 0;
}
