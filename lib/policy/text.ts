import { cedar } from "@/lib/policy/cedar";
import type { DetailedError, PolicyJson } from "@cedar-policy/cedar-wasm/nodejs";

export type PolicyProblem = { policyId?: string; message: string; line?: number };

export type ParsedPolicy = {
  id: string;
  /** the policy's own text, as written (leading comments included) */
  text: string;
  /** 1-based line of the text where this policy starts */
  line: number;
  /** 1-based line where its chunk (`text`) starts: Cedar's locations inside `text` count from here */
  chunkLine: number;
  effect: "permit" | "forbid";
  annotations: Record<string, string>;
  json: PolicyJson;
};

export type Parsed = { ok: true; policies: ParsedPolicy[] } | { ok: false; errors: PolicyProblem[] };

/** The permit every evaluation adds: leases grant, policies only forbid (so no permit of the author's is needed). */
export const BASELINE_ID = "lanyard.baseline";
export const BASELINE_TEXT = "permit(principal, action, resource);";

const POLICY_ID = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,99}$/;
export const MAX_APPROVALS = 5;

/** The annotations Lanyard reads; others are kept and ignored. */
export const ANNOTATIONS = ["id", "escalate", "approvals", "reason"] as const;

/**
 * Cedar text split at the `;` that ends each policy, outside strings and comments, with each chunk's
 * offset, so that every policy gets an id of its own (its @id, or Cedar's own policy<N>) and an error
 * inside it a line of the whole text. Trailing whitespace and comments make no chunk.
 */
export function splitPolicies(text: string): { text: string; offset: number }[] {
  const out: { text: string; offset: number }[] = [];
  let start = 0;
  let content = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (ch === '"') {
      content = true;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
    } else if (ch === ";") {
      out.push({ text: text.slice(start, i + 1), offset: start });
      start = i + 1;
      content = false;
    } else if (!/\s/.test(ch!)) content = true;
  }
  if (content) out.push({ text: text.slice(start), offset: start });
  return out;
}

/** 1-based line of a character offset. */
export const lineOf = (text: string, offset: number) => text.slice(0, offset).split("\n").length;

/** 1-based line within `text` of a byte offset Cedar reports (its locations count UTF-8 bytes). */
export function lineOfByte(text: string, byteOffset: number): number {
  return lineOf(Buffer.from(text, "utf8").subarray(0, byteOffset).toString("utf8"), Infinity);
}

/** A Cedar error as one problem: its message (with its help, if any) and the line it points at. */
export function problem(e: DetailedError, text: string, firstLine: number, policyId?: string): PolicyProblem {
  const at = e.sourceLocations?.[0]?.start;
  const message = e.help ? `${e.message} (${e.help})` : e.message;
  return { ...(policyId ? { policyId } : {}), message, ...(at !== undefined ? { line: firstLine + lineOfByte(text, at) - 1 } : {}) };
}

/**
 * Parses a policy set as Lanyard takes it: Cedar syntax, static policies only (no templates), ids
 * unique, `forbid` only (a `permit` would add nothing to what the lease grants, and reads as if it
 * did), and the annotations Lanyard gives a meaning checked: @escalate("why"), @approvals("2") with
 * it, @reason("why").
 */
export function parsePolicies(text: string): Parsed {
  if (!text.trim()) return { ok: true, policies: [] };
  const syntax = cedar.checkParsePolicySet({ staticPolicies: text });
  if (syntax.type === "failure") return { ok: false, errors: syntax.errors.map((e) => problem(e, text, 1)) };
  const errors: PolicyProblem[] = [];
  const policies: ParsedPolicy[] = [];
  const seen = new Set<string>();
  splitPolicies(text).forEach((chunk, i) => {
    const line = lineOf(text, chunk.offset);
    const j = cedar.policyToJson(chunk.text);
    if (j.type === "failure") {
      errors.push(...j.errors.map((e) => problem(e, chunk.text, line, `policy${i}`)));
      return;
    }
    const annotations = (j.json.annotations ?? {}) as Record<string, string>;
    const id = annotations.id ?? `policy${i}`;
    const at = { policyId: id, line: line + leadingLines(chunk.text) };
    if (!POLICY_ID.test(id) || id.startsWith("lanyard.")) errors.push({ ...at, message: `@id("${id}") must be 1-100 letters, digits, _ . : - and not start with "lanyard."` });
    else if (seen.has(id)) errors.push({ ...at, message: `two policies have the id ${id}` });
    seen.add(id);
    if (j.json.effect === "permit") {
      errors.push({ ...at, message: "permit adds nothing here: the lease grants, policies only restrict it. Write the rule as a forbid (forbid … unless { … })" });
    }
    if (annotations.approvals !== undefined) {
      const n = Number(annotations.approvals);
      if (annotations.escalate === undefined) errors.push({ ...at, message: "@approvals needs @escalate: it says how many people approve the escalation" });
      else if (!Number.isInteger(n) || n < 1 || n > MAX_APPROVALS) errors.push({ ...at, message: `@approvals must be a whole number from 1 to ${MAX_APPROVALS}` });
    }
    policies.push({ id, text: chunk.text, line: at.line, chunkLine: line, effect: j.json.effect, annotations, json: j.json });
  });
  return errors.length ? { ok: false, errors } : { ok: true, policies };
}

/** Lines before a chunk's first non-blank character (the blank lines after the previous policy). */
function leadingLines(chunk: string): number {
  const m = /^\s*/.exec(chunk)![0];
  return m.split("\n").length - 1;
}
