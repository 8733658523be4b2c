/**
 * The first object in this error or anything nested in it (causes, Prisma's meta.driverAdapterError …)
 * for which `predicate` holds. Prisma wraps driver errors at varying depths, so every nested object
 * is looked at, each once.
 */
export function findInError<T extends object = Record<string, unknown>>(err: unknown, predicate: (o: Record<string, unknown>) => boolean): T | undefined {
  const seen = new Set<unknown>();
  const stack: unknown[] = [err];
  while (stack.length) {
    const e = stack.pop();
    if (!e || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const o = e as Record<string, unknown>;
    if (predicate(o)) return o as T;
    // `cause` is often a non-enumerable own property of an Error, so it is pushed by name too.
    stack.push(o.cause, ...Object.values(o).filter((v) => v && typeof v === "object"));
  }
  return undefined;
}

/** True when a PostgreSQL SQLSTATE (or Prisma error code) among `codes` is anywhere in this error or its causes. */
export function hasPgCode(err: unknown, ...codes: string[]): boolean {
  return (
    findInError(err, (o) => {
      if (codes.includes(String(o.code)) || codes.includes(String(o.originalCode))) return true;
      const m = o.message;
      return typeof m === "string" && codes.some((c) => m.includes(`code: "${c}"`) || m.includes(`(${c})`));
    }) !== undefined
  );
}

/** A unique-key violation (Prisma P2002, PostgreSQL 23505), wherever it is nested. */
export const isUniqueViolation = (err: unknown) => hasPgCode(err, "P2002", "23505");
