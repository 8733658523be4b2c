/** True when a PostgreSQL SQLSTATE among `codes` is anywhere in this error or its causes (Prisma wraps driver errors). */
export function hasPgCode(err: unknown, ...codes: string[]): boolean {
  const seen = new Set<unknown>();
  const stack: unknown[] = [err];
  while (stack.length) {
    const e = stack.pop();
    if (!e || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const o = e as { code?: unknown; originalCode?: unknown; message?: unknown; cause?: unknown; meta?: unknown };
    if (codes.includes(String(o.code)) || codes.includes(String(o.originalCode))) return true;
    if (typeof o.message === "string" && codes.some((c) => o.message!.toString().includes(`code: "${c}"`) || o.message!.toString().includes(`(${c})`))) return true;
    // Prisma nests the driver's error under meta.driverAdapterError.cause; walk every nested object.
    stack.push(o.cause, ...Object.values(o).filter((v) => v && typeof v === "object"));
  }
  return false;
}
