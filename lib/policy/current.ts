import type { Db } from "@/lib/db";
import { subscribe } from "@/lib/events/bus";
import { compilePolicySet, type CompiledPolicySet } from "@/lib/policy/evaluate";
import { loadSchemaData, withTypesNamedIn } from "@/lib/policy/schema";

/**
 * The published policy set this instance evaluates: compiled once per version and held in memory.
 * A publish drops it here at once and on other instances through the event bus (policy.changed, and
 * tools.changed, which changes the schema); every TTL_MS the latest version number is re-read in
 * case a notification was lost. The hot path also checks the version at commit (its fingerprint).
 */
export type LivePolicy =
  | { version: null; set: null } // nothing published
  | { version: number; set: CompiledPolicySet }
  // A published version that no longer validates against the schema: every call it could touch is denied.
  | { version: number; set: null; broken: string };

const TTL_MS = 5_000;
let live: { at: number; policy: LivePolicy } | undefined;
let loading: Promise<LivePolicy> | undefined;
let generation = 0;
let listening = false;

export async function latestVersion(db: Db): Promise<{ version: number; text: string } | null> {
  return db.policyVersion.findFirst({ orderBy: { version: "desc" }, select: { version: true, text: true } });
}

async function load(db: Db): Promise<LivePolicy> {
  const row = await latestVersion(db);
  if (!row) return { version: null, set: null };
  const compiled = compilePolicySet(row.text, withTypesNamedIn(row.text, await loadSchemaData(db)), row.version);
  if (compiled.ok) return { version: row.version, set: compiled.set };
  return { version: row.version, set: null, broken: compiled.errors.map((e) => `${e.policyId ?? "policy"}: ${e.message}`).join("; ") };
}

function listen(): void {
  if (listening) return;
  listening = true;
  subscribe((e) => {
    if (e.type === "policy.changed" || e.type === "tools.changed") forgetLivePolicy();
  }).catch(() => {
    listening = false;
  });
}

/** The live policy; `atLeast`: a version the caller knows exists (a stale commit said so), reloaded if this copy is older. */
export async function livePolicy(db: Db, atLeast?: number): Promise<LivePolicy> {
  listen();
  const fresh = live && Date.now() - live.at < TTL_MS && (atLeast === undefined || (live.policy.version ?? 0) >= atLeast);
  if (fresh) return live!.policy;
  const current = live;
  if (current && atLeast === undefined) {
    // Past the TTL: only the version number is read; the set is compiled again only if it changed. The copy
    // is held in a local: a publish or catalog change may drop `live` (forgetLivePolicy) during the read.
    const v = (await db.policyVersion.aggregate({ _max: { version: true } }))._max.version ?? null;
    if (v === current.policy.version && live === current) {
      current.at = Date.now();
      return current.policy;
    }
  }
  if (!loading) {
    const gen = generation;
    loading = load(db)
      .then((policy) => {
        if (gen === generation) live = { at: Date.now(), policy };
        return policy;
      })
      .finally(() => (loading = undefined));
  }
  return loading;
}

/** Drop this instance's copy (a publish, a catalog change, or a tool the compiled schema does not know). */
export function forgetLivePolicy(): void {
  live = undefined;
  loading = undefined;
  generation++;
}

const RECOMPILE_AFTER_MS = 1_000;

/**
 * The live policy for a call to `tool`: a catalog tool the compiled schema does not know yet (added
 * since it was compiled) makes it compile again, at most once a second, instead of failing the call.
 */
export async function livePolicyFor(db: Db, tool: string | undefined): Promise<LivePolicy> {
  const p = await livePolicy(db);
  if (!tool || !p.set || p.set.schema.tools.has(tool) || !live || Date.now() - live.at < RECOMPILE_AFTER_MS) return p;
  forgetLivePolicy();
  return livePolicy(db);
}
