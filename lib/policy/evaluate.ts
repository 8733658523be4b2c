import { createHash } from "node:crypto";
import { cedar } from "@/lib/policy/cedar";
import { policyTag } from "@/lib/policy/data-class";
import type { Context, EntityJson, EntityUidJson, Expr, PolicyJson } from "@cedar-policy/cedar-wasm/nodejs";
import { generateSchema, GENERIC_RESOURCE, type GeneratedSchema, type SchemaData } from "@/lib/policy/schema";
import { BASELINE_ID, BASELINE_TEXT, parsePolicies, problem, type ParsedPolicy, type PolicyProblem } from "@/lib/policy/text";

/** One tool call as policies see it (built from the lease chain, the call, and the clock). */
export type PolicyCall = {
  tool: string;
  runId: string;
  agent: { id: string; name: string; status: string; environments: string[] };
  /** null: the lease names no delegating person */
  delegator: { id: string; email: string; role: string; status: string; groups?: string[] } | null;
  lease: { id: string; purpose: string; taskRef: string | null; environment: string; depth: number };
  resource?: { type: string; id: string; attributes?: Record<string, string | number | boolean> } | null;
  /** the call's context.environment, or the lease's */
  environment: string;
  at: Date;
  remainingToolCalls: number;
  /** an approvalId came with the call */
  approved: boolean;
  argumentsDigest: string | null;
};

export type PolicyResult = {
  outcome: "allow" | "deny" | "escalate";
  /** the ids of the policies that decided (forbids that matched; or those that failed to evaluate) */
  determinedBy: string[];
  /** why, for a deny or escalate: the policies' @reason / @escalate, or the error */
  message?: string;
  /** an evaluation error: always a deny */
  error?: boolean;
  /** the most any escalating policy asks for (@approvals) */
  requiredApprovals?: number;
};

/** What the slice's policies read (scope or conditions): what a replay's memo key must include. */
/** resource: "none", "all" (the entity itself matters), or what of it is read (type, attr:x, tag:x). */
type Reads = { principal: boolean; resource: "none" | "all" | Set<string>; context: Set<string> | "all" };
/**
 * Context attributes (top level) that the slice's policies only compare with number literals, and those
 * literals, sorted: two values on the same side of each literal give every such policy the same answer,
 * so the memo keys them by that bucket instead of the value (a remaining budget, in a replay).
 */
type Buckets = Map<string, number[]>;
type Slice = { id: string; policyIds: string[]; reads: Reads; buckets: Buckets };
/** `context.<path> == <literal>`: a leading conjunct of a policy's first `when`, which cannot error. */
type Guard = { path: string[]; value: string | number | boolean };
/** A tool's policies (by action scope), and the sets a call narrows them to by their guards. */
type ToolSlices = { base: Slice; candidates: ParsedPolicy[]; guards: Guard[][]; narrowed: Map<string, Slice | null> };

export type CompiledPolicySet = {
  /** null: a draft */
  version: number | null;
  policies: ParsedPolicy[];
  byId: Map<string, ParsedPolicy>;
  schema: GeneratedSchema;
  /** the policies that can apply to a tool (by their action scope), preparsed as a set of their own; null: none */
  slices: Map<string, ToolSlices | null>;
  /** answers already computed, by what the slice's policies read (bounded; see evaluatePolicy) */
  memo: Map<string, PolicyResult>;
};

export type Compiled = { ok: true; set: CompiledPolicySet } | { ok: false; errors: PolicyProblem[] };

const preparsed = new Set<string>();

function preparseSchema(schema: GeneratedSchema): void {
  const name = `schema:${schema.hash}`;
  if (preparsed.has(name)) return;
  const r = cedar.preparseSchema(name, schema.json);
  if (r.type === "failure") throw new Error(`generated policy schema does not parse: ${r.errors[0]?.message}`);
  preparsed.add(name);
}

/**
 * Parses a policy set and validates it against the schema generated from `data` (Cedar's strict
 * validation; `validate` answers "success" even when it lists errors, so the list is what counts).
 * Compiled sets are what evaluatePolicy takes; nothing here touches the database.
 */
export function compilePolicySet(text: string, data: SchemaData, version: number | null = null): Compiled {
  const parsed = parsePolicies(text);
  if (!parsed.ok) return parsed;
  const schema = generateSchema(data);
  if (parsed.policies.length) {
    const v = cedar.validate({ schema: schema.json, policies: { staticPolicies: Object.fromEntries(parsed.policies.map((p) => [p.id, p.text])) } });
    const byId = new Map(parsed.policies.map((p) => [p.id, p]));
    const errors =
      v.type === "failure"
        ? v.errors.map((e) => problem(e, text, 1))
        : v.validationErrors.map(({ policyId, error }) => {
            const p = byId.get(policyId);
            return p ? problem(error, p.text, p.chunkLine, policyId) : { policyId, message: error.message };
          });
    if (errors.length) return { ok: false, errors };
  }
  preparseSchema(schema);
  return { ok: true, set: { version, policies: parsed.policies, byId: new Map(parsed.policies.map((p) => [p.id, p])), schema, slices: new Map(), memo: new Map() } };
}

/**
 * Whether a policy's action scope can include `tool`. A tool outside the schema (a catalog tool added
 * since the set was compiled) is in no group we know of, so any `action in` scope may hold it: it applies
 * (and the call is denied as outside the schema) rather than letting a group-scoped forbid go unasked.
 */
function appliesTo(p: PolicyJson, tool: string, groups: string[] | undefined): boolean {
  const a = p.action;
  if (a.op === "All") return true;
  if (groups === undefined && a.op === "in") return true;
  const ids = (e: EntityUidJson) => ("__entity" in e ? e.__entity.id : e.id);
  const targets = a.op === "==" ? ("entity" in a ? [ids(a.entity)] : []) : "entity" in a ? [ids(a.entity)] : a.entities.map(ids);
  return targets.some((t) => t === tool || (a.op === "in" && !!groups?.includes(t)));
}

const isVar = (e: unknown, v: string) => !!e && typeof e === "object" && (e as { Var?: string }).Var === v;

/**
 * What a policy reads: the principal or not; of the resource its type, attributes and tags by name (or
 * the entity itself); of the context its attributes ("all" when it uses `context` as a whole).
 */
function readsOf(p: PolicyJson): Reads {
  const keys = new Set<string>();
  let contextAll = false;
  const res = new Set<string>();
  let resourceAll = p.resource.op === "==" || p.resource.op === "in" || (p.resource.op === "is" && "in" in p.resource && !!p.resource.in);
  if (p.resource.op === "is") res.add("type");
  let principal = p.principal.op !== "All";
  const walk = (e: unknown): void => {
    if (!e || typeof e !== "object") return;
    if (Array.isArray(e)) return e.forEach(walk);
    const o = e as Record<string, unknown>;
    for (const op of [".", "has"] as const) {
      const x = o[op] as { left?: Expr; attr?: string | string[] } | undefined;
      if (x && typeof x === "object" && x.left) {
        const attr = Array.isArray(x.attr) ? x.attr[0]! : x.attr!;
        if (isVar(x.left, "context")) return void keys.add(attr);
        if (isVar(x.left, "resource")) return void res.add(`attr:${attr}`);
      }
    }
    for (const op of ["getTag", "hasTag"] as const) {
      const x = o[op] as { left?: Expr; right?: { Value?: unknown } } | undefined;
      if (x && typeof x === "object" && isVar(x.left, "resource") && typeof x.right?.Value === "string") return void res.add(`tag:${x.right.Value}`);
    }
    const is = o.is as { left?: Expr; in?: Expr } | undefined;
    if (is && typeof is === "object" && isVar(is.left, "resource") && !is.in) return void res.add("type");
    if (o.Var === "context") contextAll = true;
    if (o.Var === "resource") resourceAll = true;
    if (o.Var === "principal") principal = true;
    for (const v of Object.values(o)) walk(v);
  };
  walk(p.conditions);
  return { principal, resource: resourceAll ? "all" : res.size ? res : "none", context: contextAll ? "all" : keys };
}

const COMPARISONS = ["<", "<=", ">", ">=", "==", "!="] as const;

/**
 * For each top-level context attribute a policy reads: the number literals it is compared with, when
 * that is all that is done with it (`context.remainingToolCalls < 500`), else "exact".
 */
export function comparedOnly(p: PolicyJson): Map<string, number[] | "exact"> {
  const out = new Map<string, number[] | "exact">();
  const attrOf = (e: unknown) => {
    const dot = (e as { "."?: { left: unknown; attr: string } } | null)?.["."];
    return dot && isVar(dot.left, "context") ? dot.attr : undefined;
  };
  const num = (e: unknown) => {
    const v = (e as { Value?: unknown } | null)?.Value;
    return typeof v === "number" ? v : undefined;
  };
  const add = (attr: string, t: number | "exact") => {
    const known = out.get(attr);
    if (t === "exact" || known === "exact") out.set(attr, "exact");
    else out.set(attr, [...(known ?? []), t]);
  };
  const walk = (e: unknown): void => {
    if (!e || typeof e !== "object") return;
    if (Array.isArray(e)) return e.forEach(walk);
    const o = e as Record<string, unknown>;
    for (const op of COMPARISONS) {
      const x = o[op] as { left?: unknown; right?: unknown } | undefined;
      if (!x || typeof x !== "object") continue;
      const [attr, t] = attrOf(x.left) !== undefined ? [attrOf(x.left), num(x.right)] : [attrOf(x.right), num(x.left)];
      if (attr !== undefined && t !== undefined) return add(attr, t);
    }
    const attr = attrOf(o);
    if (attr !== undefined) return add(attr, "exact");
    for (const v of Object.values(o)) walk(v);
  };
  walk(p.conditions);
  return out;
}

/** The policies as one preparsed set (with the baseline permit) and what they read. */
function makeSlice(set: CompiledPolicySet, policies: ParsedPolicy[]): Slice {
  const staticPolicies = Object.fromEntries([...policies.map((p) => [p.id, p.text]), [BASELINE_ID, BASELINE_TEXT]]);
  // Same policies under the same schema: the same preparsed set, whichever version or draft asks.
  const id = `ps:${createHash("sha256").update(set.schema.hash).update(JSON.stringify(staticPolicies)).digest("hex").slice(0, 32)}`;
  if (!preparsed.has(id)) {
    const r = cedar.preparsePolicySet(id, { staticPolicies });
    if (r.type === "failure") throw new Error(`policy set does not parse: ${r.errors[0]?.message}`);
    preparsed.add(id);
  }
  const reads: Reads = { principal: false, resource: "none", context: new Set() };
  for (const p of policies) {
    const r = readsOf(p.json);
    reads.principal ||= r.principal;
    reads.resource = r.resource === "all" || reads.resource === "all" ? "all" : r.resource === "none" ? reads.resource : new Set([...(reads.resource === "none" ? [] : reads.resource), ...r.resource]);
    reads.context = r.context === "all" || reads.context === "all" ? "all" : new Set([...reads.context, ...r.context]);
  }
  const buckets: Buckets = new Map();
  const exact = new Set<string>();
  for (const p of policies) {
    for (const [attr, t] of comparedOnly(p.json)) {
      if (t === "exact") exact.add(attr);
      else buckets.set(attr, [...(buckets.get(attr) ?? []), ...t]);
    }
  }
  for (const attr of exact) buckets.delete(attr);
  for (const [attr, t] of buckets) buckets.set(attr, [...new Set(t)].sort((a, b) => a - b));
  return { id, policyIds: policies.map((p) => p.id), reads, buckets };
}

function sliceFor(set: CompiledPolicySet, tool: string): ToolSlices | null {
  const known = set.slices.get(tool);
  if (known !== undefined) return known;
  const groups = set.schema.tools.has(tool) ? (set.schema.groupsOf.get(tool) ?? []) : undefined;
  const candidates = set.policies.filter((p) => appliesTo(p.json, tool, groups));
  const slices = candidates.length ? { base: makeSlice(set, candidates), candidates, guards: candidates.map((p) => guardsOf(p.json)), narrowed: new Map() } : null;
  set.slices.set(tool, slices);
  return slices;
}

/** The most narrowed sets kept per tool (each is preparsed once); past it a call is evaluated on all the tool's policies. */
const MAX_NARROWED = 256;

/**
 * The tool's policies that can match this call's context: a policy whose first `when` starts with
 * `context.x == literal` conjuncts that this call fails is false before anything in it could error, so
 * Cedar would skip it without a diagnostic; leaving it out changes no answer and no error. Everything
 * else stays (unscoped actions, `action in` groups, conditions that are not such guards).
 */
function narrow(set: CompiledPolicySet, slices: ToolSlices, context: Record<string, unknown>): Slice | null {
  let key = "";
  for (const guards of slices.guards) key += guards.every((g) => guardHolds(context, g)) ? "1" : "0";
  const known = slices.narrowed.get(key);
  if (known !== undefined) return known;
  if (slices.narrowed.size >= MAX_NARROWED) return slices.base;
  const kept = slices.candidates.filter((_, i) => key[i] === "1");
  const slice = kept.length === slices.candidates.length ? slices.base : kept.length ? makeSlice(set, kept) : null;
  slices.narrowed.set(key, slice);
  return slice;
}

/**
 * Whether a call passes a guard, or may: a path through an entity (`context.delegator.role`) reads the
 * entity's attributes, which the context only references (`{__entity}`), so it is never judged false here
 * (judging it false dropped forbids such as "contractors' agents never write to billing": an allow).
 */
function guardHolds(context: Record<string, unknown>, g: Guard): boolean {
  let v: unknown = context;
  for (const k of g.path) {
    if (v && typeof v === "object" && "__entity" in v) return true;
    v = v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
  }
  return v === g.value;
}

/** A `context.a.b` expression's path; null: something else. */
function contextPath(e: unknown): string[] | null {
  const dot = (e as { "."?: { left: unknown; attr: string } } | null)?.["."];
  if (!dot) return null;
  if (isVar(dot.left, "context")) return [dot.attr];
  const left = contextPath(dot.left);
  return left ? [...left, dot.attr] : null;
}

/**
 * The guards a policy starts with: the leading `context.<path> == <literal>` conjuncts of its first
 * condition, if that is a `when`, in Cedar's evaluation order (left to right, short-circuit). They
 * cannot error (every context attribute is in the schema's CallContext and in every request), so a
 * false one ends the policy before anything after it is evaluated. The first other conjunct stops them.
 */
export function guardsOf(p: PolicyJson): Guard[] {
  const first = p.conditions[0];
  if (!first || first.kind !== "when") return [];
  const conjuncts: unknown[] = [];
  const flatten = (e: unknown): void => {
    const and = (e as { "&&"?: { left: unknown; right: unknown } })["&&"];
    if (and) {
      flatten(and.left);
      flatten(and.right);
    } else conjuncts.push(e);
  };
  flatten(first.body);
  const guards: Guard[] = [];
  for (const c of conjuncts) {
    const eq = (c as { "=="?: { left: unknown; right: unknown } })["=="];
    if (!eq) break;
    const literal = (x: unknown) => {
      const v = (x as { Value?: unknown } | null)?.Value;
      return typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? v : undefined;
    };
    const [path, value] = contextPath(eq.left) ? [contextPath(eq.left), literal(eq.right)] : [contextPath(eq.right), literal(eq.left)];
    if (!path || value === undefined) break;
    guards.push({ path, value });
  }
  return guards;
}

const uid = (type: string, id: string) => ({ type, id });

/** The request and entities Cedar evaluates a call with. */
export function cedarRequest(set: CompiledPolicySet, call: PolicyCall) {
  const r = call.resource;
  const resourceType = r && set.schema.resourceTypes.has(r.type) ? r.type : GENERIC_RESOURCE;
  const resource = uid(resourceType, r?.id ?? "");
  const agent = uid("Agent", call.agent.id);
  const d = call.delegator ?? { id: "", email: "", role: "", status: "none" };
  const person = uid("Person", d.id);
  const entities: EntityJson[] = [
    { uid: uid("Run", call.runId), attrs: { agent: { __entity: agent } }, parents: [agent] },
    { uid: agent, attrs: { name: call.agent.name, status: call.agent.status, environments: call.agent.environments }, parents: [] },
    // In its role and its groups (the Group entities themselves are not needed for `in`).
    { uid: person, attrs: { email: d.email, role: d.role, status: d.status }, parents: [...(d.role ? [uid("Role", d.role)] : []), ...(call.delegator?.groups ?? []).map((g) => uid("Group", g))] },
    { uid: resource, attrs: { id: r?.id ?? "", type: r?.type ?? "" }, parents: [], tags: Object.fromEntries(Object.entries(r?.attributes ?? {}).map(([k, v]) => [k, policyTag(k, v)])) },
  ];
  if (d.role) entities.push({ uid: uid("Role", d.role), attrs: {}, parents: [] });
  const iso = call.at.toISOString();
  const context: Context = {
    environment: call.environment,
    delegator: { __entity: person },
    lease: { id: call.lease.id, purpose: call.lease.purpose, taskRef: call.lease.taskRef ?? "", environment: call.lease.environment, depth: call.lease.depth },
    time: { epochSeconds: Math.floor(call.at.getTime() / 1000), hourUtc: call.at.getUTCHours(), weekdayUtc: call.at.getUTCDay(), date: iso.slice(0, 10) },
    remainingToolCalls: call.remainingToolCalls,
    approved: call.approved,
    argumentsDigest: call.argumentsDigest ?? "",
  };
  return { principal: uid("Run", call.runId), action: uid("Action", call.tool), resource, context, entities };
}

const ALLOW: PolicyResult = { outcome: "allow", determinedBy: [] };

/**
 * The policy's answer for one call: allow (no forbid matched), deny, or escalate (every forbid that
 * matched says @escalate). Any error is a deny naming the policies involved: a call outside the
 * schema, a request or entity that does not validate, a policy whose condition errors (Cedar skips
 * an erroring forbid, which would otherwise let the call through).
 *
 * Calls that differ only in what no policy of the tool's slice reads share one evaluation (the answer
 * is a function of what is read): an agent run calling the same tool again, or a replay of a history,
 * mostly costs a key instead of a Cedar call. The memo is dropped whole when it reaches MEMO_MAX.
 */
export function evaluatePolicy(set: CompiledPolicySet, call: PolicyCall, memo: Map<string, PolicyResult> = set.memo): PolicyResult {
  const slices = sliceFor(set, call.tool);
  if (!slices) return ALLOW;
  if (!set.schema.tools.has(call.tool)) {
    const ids = slices.base.policyIds;
    return { outcome: "deny", error: true, determinedBy: ids, message: `${call.tool} is not in the policy schema (not a catalog tool), so policies ${ids.join(", ")} cannot be evaluated` };
  }
  const req = cedarRequest(set, call);
  const slice = narrow(set, slices, req.context);
  if (!slice) return ALLOW;
  const key = memoKey(slice, req);
  const hit = memo.get(key);
  if (hit) return hit;
  const result = decideWith(set, slice, req);
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(key, result);
  return result;
}

const MEMO_MAX = 50_000;
const MAX_PLAIN_KEY = 512;

/** What of a request the slice's policies can read, as a string: equal keys, equal answers. */
function memoKey(slice: Slice, req: ReturnType<typeof cedarRequest>): string {
  const { principal, resource, context: keys } = slice.reads;
  const ctx: Record<string, unknown> = {};
  for (const k in req.context) {
    if (keys !== "all" && !keys.has(k)) continue;
    const t = keys === "all" ? undefined : slice.buckets.get(k);
    const v = req.context[k];
    // The bucket: how many literals lie below the value, twice, plus one when it equals one of them.
    ctx[k] = t && typeof v === "number" ? { bucket: 2 * t.filter((x) => x < v).length + (t.includes(v) ? 1 : 0) } : v;
  }
  const delegator = keys === "all" || keys.has("delegator");
  // entities: Run, Agent, Person, the resource (then Role)
  const [run, agent, person, res] = req.entities as [EntityJson, EntityJson, EntityJson, EntityJson];
  let r: unknown = null;
  if (resource === "all") r = res;
  else if (resource !== "none") {
    const picked: Record<string, unknown> = { type: req.resource.type };
    for (const what of resource) {
      const [kind, name] = [what.slice(0, what.indexOf(":")), what.slice(what.indexOf(":") + 1)];
      if (kind === "attr") picked[what] = res.attrs[name];
      else if (kind === "tag") picked[what] = res.tags?.[name] ?? null;
    }
    r = picked;
  }
  const key = JSON.stringify([slice.id, req.action.id, ctx, principal ? [run, agent] : null, r, delegator ? person : null]);
  // A key holding a whole resource carries all its tags: a caller's 60 KB attribute map per call would make
  // MEMO_MAX keys gigabytes. A long key is kept as its digest.
  return key.length > MAX_PLAIN_KEY ? `#${createHash("sha256").update(key).digest("base64")}` : key;
}

function decideWith(set: CompiledPolicySet, slice: Slice, req: ReturnType<typeof cedarRequest>): PolicyResult {
  // Only the entities and context attributes the slice's policies can reach: each costs its share of the
  // call into Wasm. One left out that a policy does read would be an evaluation error, a deny: never an allow.
  const [run, agent, person, res, role] = req.entities;
  const { principal, resource, context } = slice.reads;
  // The action's groups (`action in Action::"write"`) come from the schema, which this call does not
  // carry: its entity says them.
  const entities: EntityJson[] = [{ uid: req.action, attrs: {}, parents: (set.schema.groupsOf.get(req.action.id) ?? []).map((g) => uid("Action", g)) }];
  if (principal) entities.push(run!, agent!);
  if (context === "all" || context.has("delegator")) entities.push(person!, ...(role ? [role] : []));
  if (resource !== "none") entities.push(res!);
  const ctx: Context = {};
  if (context === "all") Object.assign(ctx, req.context);
  else for (const k of context) if (k in req.context) ctx[k] = req.context[k]!;
  // No schema here: parsing the request and entities against it was two thirds of every call's cost. The
  // policies were validated against it (compilePolicySet), the request is built by cedarRequest to its
  // shape (prefilter.test.ts checks both against a validated call), and any error is still a deny.
  const answer = cedar.statefulIsAuthorized({ principal: req.principal, action: req.action, resource: req.resource, context: ctx, entities, validateRequest: false, preparsedPolicySetId: slice.id });
  if (answer.type === "failure") {
    const why = answer.errors.map((e) => e.message).join("; ");
    return { outcome: "deny", error: true, determinedBy: slice.policyIds, message: `policies ${slice.policyIds.join(", ")} could not be evaluated: ${why}` };
  }
  const { decision, diagnostics } = answer.response;
  if (diagnostics.errors.length) {
    const ids = [...new Set(diagnostics.errors.map((e) => e.policyId))];
    const why = diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`).join("; ");
    return { outcome: "deny", error: true, determinedBy: ids, message: `policy ${ids.join(", ")} failed to evaluate (${why})` };
  }
  if (decision === "allow") return ALLOW;
  // In the order they are written, whatever order Cedar names them in.
  const forbids = set.policies.filter((p) => diagnostics.reason.includes(p.id));
  const ids = forbids.map((p) => p.id);
  if (!forbids.length) return { outcome: "deny", error: true, determinedBy: [], message: "policy evaluation denied without a forbid" };
  const denying = forbids.filter((p) => p.annotations.escalate === undefined);
  if (denying.length) {
    const why = denying.map((p) => `${p.id}${p.annotations.reason ? `: ${p.annotations.reason}` : ""}`).join("; ");
    return { outcome: "deny", determinedBy: ids, message: `forbidden by policy ${why}` };
  }
  const why = forbids.map((p) => `${p.id}${p.annotations.escalate ? `: ${p.annotations.escalate}` : ""}`).join("; ");
  const approvals = Math.max(0, ...forbids.map((p) => Number(p.annotations.approvals ?? 0)));
  return { outcome: "escalate", determinedBy: ids, message: `policy ${why}`, ...(approvals ? { requiredApprovals: approvals } : {}) };
}
