import { AppError, type Issue } from "@/lib/errors";
import { MAX_JSON_DEPTH } from "@/lib/api/limits";
import { badString } from "@/lib/schemas/text";

/**
 * Refuses, with 400 invalid_request, input that the schemas cannot describe but the database or the
 * stack would trip on: NUL or a lone surrogate in any string or key, and nesting deeper than
 * MAX_JSON_DEPTH. Iterative, so a 20,000-deep value costs no stack; it stops at the first problem.
 */
export function assertCleanInput(value: unknown, where: "body" | "query" | "params"): void {
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: value, path: [] }];
  while (stack.length) {
    const { v, path } = stack.pop()!;
    if (typeof v === "string") {
      const why = badString(v);
      if (why) throw refuse(where, path, why);
    } else if (v !== null && typeof v === "object") {
      if (path.length >= MAX_JSON_DEPTH) throw refuse(where, path, `nested deeper than ${MAX_JSON_DEPTH} levels`);
      if (Array.isArray(v)) v.forEach((item, i) => stack.push({ v: item, path: [...path, i] }));
      else {
        for (const [k, item] of Object.entries(v)) {
          const why = badString(k);
          if (why) throw refuse(where, path, `a key ${why}`);
          stack.push({ v: item, path: [...path, k] });
        }
      }
    }
  }
}

function refuse(where: string, path: (string | number)[], message: string): AppError {
  // The path is cut short: a 32-deep path of keys is enough to find the spot.
  const issue: Issue = { path: path.slice(0, MAX_JSON_DEPTH), message };
  const shown = [where, ...path.slice(0, 8).map((p) => String(p).slice(0, 40))].join(".");
  return new AppError("invalid_request", `${shown}${path.length > 8 ? ".…" : ""}: ${message}`, [issue]);
}
