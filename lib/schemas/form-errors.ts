import type { Issue } from "@/lib/errors";

/**
 * The console's one form-error convention: the API's (or a client-side parse's) `issues` become
 * messages attached to the form's own fields, in the field's units and words. Raw validation text
 * ("Too small: expected array to have >=1 items") and internal names ("expiresIn:") never reach a person.
 */

/** How many API units one form unit holds, e.g. 60 seconds per minute. */
export type Unit = { per: number; one: string; many: string };
export const MINUTES: Unit = { per: 60, one: "minute", many: "minutes" };
export const SECONDS: Unit = { per: 1, one: "second", many: "seconds" };

export type FieldSpec = {
  /** The field's label as the form shows it (used in the summary). */
  label: string;
  /** The API counts in another unit than the form: limits are converted and said in the form's. */
  unit?: Unit;
  /** What an array field holds, e.g. ["tool", "tools"]. */
  items?: [string, string];
  /** Said when the field is missing or empty. */
  required?: string;
  /** Said when a pattern or format check fails (instead of the pattern). */
  format?: string;
};
/** Keyed by the API path the field sends, dotted ("ceiling.maxExpiresIn"); an issue goes to the longest key that prefixes its path. */
export type FormSpec = Record<string, FieldSpec>;

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function amount(n: number, f: FieldSpec | undefined, round: "up" | "down"): string {
  if (!f?.unit) return String(n);
  const v = n / f.unit.per;
  // Limits in the form's unit round inwards so that what is said is always allowed.
  const r = Number.isInteger(v) ? v : round === "up" ? Math.ceil(v) : Math.floor(v);
  return plural(r, f.unit.one, f.unit.many);
}

/** One issue's message in the field's words. Messages already written for people pass through. */
export function humanMessage(message: string, f?: FieldSpec): string {
  const required = f?.required ?? "required";
  let m: RegExpMatchArray | null;
  if ((m = message.match(/^Too (small|big): expected (number|int|bigint|date) to be (>=|>|<=|<)(-?[\d.]+)/))) {
    const n = Number(m[4]);
    if (m[3] === ">=") return `at least ${amount(n, f, "up")}`;
    if (m[3] === ">") return `more than ${amount(n, f, "down")}`;
    if (m[3] === "<=") return `at most ${amount(n, f, "down")}`;
    return `less than ${amount(n, f, "up")}`;
  }
  if ((m = message.match(/^Too (small|big): expected string to have (>=|>|<=|<)(\d+) characters?/))) {
    const n = Number(m[3]);
    if (m[1] === "small") return n <= 1 ? required : `at least ${plural(n, "character", "characters")}`;
    return `at most ${plural(n, "character", "characters")}`;
  }
  if ((m = message.match(/^Too (small|big): expected (array|set) to have (>=|>|<=|<)(\d+) items?/))) {
    const n = Number(m[4]);
    const [one, many] = f?.items ?? ["item", "items"];
    if (m[1] === "small") return n <= 1 ? (f?.required ?? `choose at least one ${one}`) : `choose at least ${plural(n, one, many)}`;
    return `at most ${plural(n, one, many)}`;
  }
  if ((m = message.match(/^Invalid input: expected (\w+), received (\w+)/))) {
    if (m[2] === "undefined" || m[2] === "null") return required;
    if (m[1] === "int") return f?.unit ? `a whole number of ${f.unit.many}` : "a whole number";
    if (m[1] === "number") return f?.unit ? `a number of ${f.unit.many}` : "a number";
    return f?.format ?? "not valid here";
  }
  // An id pattern ("must be a usr_ id") means a select was left empty or sent something it never offers.
  if (/^must be an? [a-z]+_ id$/.test(message)) return f?.format ?? "choose one from the list";
  if (/^Invalid email/.test(message)) return f?.format ?? "an email address, like name@example.com";
  if (/^Invalid URL/.test(message)) return f?.format ?? "a full address, like https://example.com/hook";
  if (/^Invalid (string|input|ISO|uuid|cuid|ulid|format)/.test(message)) return f?.format ?? "not in the expected format";
  if ((m = message.match(/^Invalid option: expected one of (.+)$/))) return `choose one of ${m[1]!.replace(/"/g, "").split("|").join(", ")}`;
  if (/^Unrecognized keys?/.test(message)) return "not expected here";
  // A server message counting seconds ("at most 14400 s for repo-agent") is said in the field's unit.
  if (f?.unit && f.unit.per !== 1) return message.replace(/\b(at (?:most|least)) (\d+) s\b/g, (_, w: string, n: string) => `${w} ${amount(Number(n), f, w === "at most" ? "down" : "up")}`);
  return message.replace(/\b(\d+) s\b/g, (_, n: string) => plural(Number(n), "second", "seconds"));
}

type IssueSource = { message: string; issues?: Issue[]; code?: string } | null | undefined;

export type FormErrors = {
  /** The message for the field sent at `key` (a FormSpec key), if any. */
  field: (key: string) => string | undefined;
  /** The alert's headline: what the server said, or which fields need a look. */
  summary: string | null;
  /** Issues no field of the form shows, each said once, in words. */
  unplaced: string[];
};

function keyFor(path: Issue["path"], spec: FormSpec): string | undefined {
  const dotted = path.join(".");
  let best: string | undefined;
  for (const k of Object.keys(spec)) {
    if ((dotted === k || dotted.startsWith(`${k}.`)) && (!best || k.length > best.length)) best = k;
  }
  return best;
}

/** Maps an error (an ApiError, or anything with a message and issues) to the form's fields. */
export function formErrors(error: IssueSource | Error, spec: FormSpec): FormErrors {
  const issues: Issue[] = (error && "issues" in error && Array.isArray(error.issues) ? error.issues : []) as Issue[];
  const byKey = new Map<string, string>();
  const unplaced: string[] = [];
  for (const i of issues) {
    const k = keyFor(i.path, spec);
    if (k === undefined) {
      const text = humanMessage(i.message);
      if (!unplaced.includes(text)) unplaced.push(text);
    } else if (!byKey.has(k)) byKey.set(k, humanMessage(i.message, spec[k]));
  }
  let summary: string | null = null;
  if (error) {
    const labels = [...byKey.keys()].map((k) => spec[k]!.label);
    // The fields say what is wrong; the alert by the submit button only names them (each message shown once).
    if (labels.length) summary = `Check ${labels.length === 1 ? "the field" : "these fields"}: ${labels.join(", ")}.`;
    else if (issues.length) summary = unplaced.length === 1 ? capitalise(unplaced.splice(0, 1)[0]!) : "Check the form.";
    else summary = error.message;
  }
  return { field: (key) => byKey.get(key), summary, unplaced };
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
