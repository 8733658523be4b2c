/**
 * A task's declared intent from its spec: the spec's YAML-ish front matter (between `---` lines at the
 * top) names `resources:` (id prefixes), `tools:`, `dataClasses:` and `expectedCalls:`. An enforcement
 * point that fetched the spec passes the result as the lease's `intent` at issue. Dependency-free (part of
 * the SDK, which imports nothing from Lanyard): the subset of YAML a front matter uses — `key: value`,
 * inline lists `[a, b]`, block lists of `- item`, quotes, `#` comments. Other keys are ignored.
 */
export type Intent = { resources?: string[]; tools?: string[]; dataClasses?: string[]; expectedCalls?: number };

const KEYS: Record<string, keyof Intent> = {
  resources: "resources",
  tools: "tools",
  dataclasses: "dataClasses",
  data_classes: "dataClasses",
  expectedcalls: "expectedCalls",
  expected_calls: "expectedCalls",
};

/** The intent in a spec's front matter; null when the spec has none or it names none of the intent's keys. */
export function intentFromTaskRef(spec: string): Intent | null {
  const lines = spec.replace(/^\uFEFF/, "").split(/\r?\n/);
  let start = 0;
  while (start < lines.length && lines[start]!.trim() === "") start++;
  if (lines[start]?.trim() !== "---") return null;
  const end = lines.findIndex((l, i) => i > start && (l.trim() === "---" || l.trim() === "..."));
  if (end < 0) return null;
  return parseIntentFields(lines.slice(start + 1, end).join("\n"));
}

/** The intent's keys in front-matter syntax without the `---` fences (what the lease form's intent box holds). */
export function parseIntentFields(text: string): Intent | null {
  const out: Intent = {};
  let list: string[] | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = stripComment(raw);
    if (!line.trim()) continue;
    const item = /^\s*-\s+(.*)$/.exec(line) ?? /^\s*-$/.exec(line);
    if (item) {
      // An item of the list under the last key (ignored when that key is not one of the intent's).
      const v = unquote(item[1] ?? "");
      if (list && v) list.push(v);
      continue;
    }
    const kv = /^([A-Za-z_][\w-]*)\s*:\s*(.*)$/.exec(line);
    list = null;
    if (!kv || /^\s/.test(line)) continue;
    const key = KEYS[kv[1]!.toLowerCase()];
    if (!key) continue;
    const value = kv[2]!.trim();
    if (key === "expectedCalls") {
      const n = Number(unquote(value));
      if (!Number.isInteger(n) || n < 1) throw new TypeError(`expectedCalls: ${JSON.stringify(value)} is not a positive whole number`);
      out.expectedCalls = n;
      continue;
    }
    const items: string[] = [];
    if (value.startsWith("[")) {
      if (!value.endsWith("]")) throw new TypeError(`${kv[1]}: an inline list must close with ]`);
      items.push(...splitInline(value.slice(1, -1)));
    } else if (value) items.push(unquote(value));
    else list = items;
    out[key] = items;
  }
  for (const k of ["resources", "tools", "dataClasses"] as const) {
    const v = out[k];
    if (v !== undefined) {
      if (v.length) out[k] = [...new Set(v)];
      else delete out[k];
    }
  }
  return Object.keys(out).length ? out : null;
}

function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && (t[0] === '"' || t[0] === "'") && t[t.length - 1] === t[0] ? t.slice(1, -1) : t;
}

function splitInline(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: string | null = null;
  for (const c of s) {
    if (quote) {
      if (c === quote) quote = null;
      cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur += c;
    } else if (c === ",") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out.map(unquote).filter(Boolean);
}
