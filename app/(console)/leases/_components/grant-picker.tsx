"use client";
import type { GrantDraft } from "./lease-draft";
import { RiskBadge } from "@/components/ui/badge";
import { inputClass } from "@/components/ui/field";
import { needsStepUp } from "@/lib/tools/risk";
import type { ToolView } from "@/lib/tools/schemas";

/** Grant a tool, optionally narrowed to resources, optionally with step-up. One row per tool offered (the agent's ceiling ∩ what the signed-in person may delegate); `unavailable`: the rest, each with why. */
export function GrantPicker({ tools, grants, onChange, error, unavailable = [] }: { tools: ToolView[]; grants: Record<string, GrantDraft>; onChange: (next: Record<string, GrantDraft>) => void; error?: string; unavailable?: { name: string; reason: string }[] }) {
  function set(name: string, g: GrantDraft | null) {
    const next = { ...grants };
    if (g) next[name] = g;
    else delete next[name];
    onChange(next);
  }
  return (
    <fieldset data-testid="grant-picker">
      <legend className="text-sm font-medium text-slate-800">
        Allowed tools <span className="font-normal text-slate-500">(the agent&apos;s ceiling that you may delegate; {Object.keys(grants).length} selected)</span>
      </legend>
      {tools.length === 0 ? (
        <p className="mt-2 text-sm text-slate-600">No tool is both in this agent&apos;s ceiling and in your entitlements. An admin can change either (the agent&apos;s page; Settings → Entitlements).</p>
      ) : (
        <ul className="mt-2 divide-y divide-slate-100 rounded-md border border-slate-200">
          {tools.map((t) => {
            const g = grants[t.name];
            return (
              <li key={t.name} className="px-3 py-2" data-testid="grant-row" data-tool={t.name}>
                <div className="flex items-center justify-between gap-2">
                  <label className="flex items-center gap-2 font-mono text-sm">
                    <input type="checkbox" checked={Boolean(g)} onChange={(e) => set(t.name, e.target.checked ? { resourceType: "", resourceIds: "", stepUp: false } : null)} className="size-4" />
                    {t.name}
                  </label>
                  <span className="flex items-center gap-2">
                    {needsStepUp(t) && <span className="text-xs text-amber-800">needs approval per call</span>}
                    <RiskBadge risk={t.risk} />
                  </span>
                </div>
                {g && (
                  <div className="mt-2 grid gap-2 pl-6 sm:grid-cols-[10rem_1fr_auto] sm:items-center">
                    <input aria-label={`Resource type for ${t.name}`} placeholder="type (e.g. branch)" value={g.resourceType} onChange={(e) => set(t.name, { ...g, resourceType: e.target.value })} className={`${inputClass} mt-0`} />
                    <input aria-label={`Resource ids for ${t.name}`} placeholder="ids, comma-separated; prefix* allowed; empty = any" value={g.resourceIds} onChange={(e) => set(t.name, { ...g, resourceIds: e.target.value })} className={`${inputClass} mt-0 font-mono`} />
                    <label className="flex items-center gap-1.5 text-xs whitespace-nowrap">
                      <input type="checkbox" aria-label={`Require approval for ${t.name}`} checked={g.stepUp} onChange={(e) => set(t.name, { ...g, stepUp: e.target.checked })} className="size-4" />
                      require approval
                    </label>
                    {/* Constraints, checked on every call (issue 15): empty = none. */}
                    <input aria-label={`Max records for ${t.name}`} placeholder="max records" inputMode="numeric" value={g.maxRecords ?? ""} onChange={(e) => set(t.name, { ...g, maxRecords: e.target.value })} className={`${inputClass} mt-0`} />
                    <input aria-label={`Data classes for ${t.name}`} placeholder="data classes: public, internal, confidential, secret (none named = secret)" value={g.dataClasses ?? ""} onChange={(e) => set(t.name, { ...g, dataClasses: e.target.value })} className={`${inputClass} mt-0 font-mono`} />
                    <span className="flex items-center gap-2">
                      <input aria-label={`Tenant for ${t.name}`} placeholder="tenant" value={g.tenant ?? ""} onChange={(e) => set(t.name, { ...g, tenant: e.target.value })} className={`${inputClass} mt-0 w-28`} />
                      {!t.readOnly && (
                        <label className="flex items-center gap-1.5 text-xs whitespace-nowrap" title="In production, a tool that is not read-only escalates each call unless this is set">
                          <input type="checkbox" aria-label={`Production grant for ${t.name}`} checked={g.production ?? false} onChange={(e) => set(t.name, { ...g, production: e.target.checked })} className="size-4" />
                          production writes
                        </label>
                      )}
                    </span>
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {unavailable.length > 0 && (
        <details className="mt-2 text-sm" data-testid="unavailable-tools">
          <summary className="cursor-pointer text-slate-600">Not offered ({unavailable.length})</summary>
          <ul className="mt-1 space-y-1 pl-4">
            {unavailable.map((u) => (
              <li key={u.name} data-testid="unavailable-tool" data-tool={u.name} className="text-xs text-slate-600">
                <span className="font-mono text-slate-800">{u.name}</span>: {u.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
      {error && (
        <p role="alert" className="mt-1 text-xs text-rose-700">
          {error}
        </p>
      )}
    </fieldset>
  );
}
