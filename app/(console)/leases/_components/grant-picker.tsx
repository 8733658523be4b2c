"use client";
import type { GrantDraft } from "./lease-draft";
import { RiskBadge } from "@/components/ui/badge";
import { inputClass } from "@/components/ui/field";
import { needsStepUp } from "@/lib/tools/risk";
import type { ToolView } from "@/lib/tools/schemas";

/** One row per tool in the agent's ceiling: grant it, optionally narrow it to resources, optionally require step-up. */
export function GrantPicker({ tools, grants, onChange, error }: { tools: ToolView[]; grants: Record<string, GrantDraft>; onChange: (next: Record<string, GrantDraft>) => void; error?: string }) {
  function set(name: string, g: GrantDraft | null) {
    const next = { ...grants };
    if (g) next[name] = g;
    else delete next[name];
    onChange(next);
  }
  return (
    <fieldset data-testid="grant-picker">
      <legend className="text-sm font-medium text-slate-800">
        Allowed tools <span className="font-normal text-slate-500">(from the agent&apos;s ceiling; {Object.keys(grants).length} selected)</span>
      </legend>
      {tools.length === 0 ? (
        <p className="mt-2 text-sm text-slate-600">This agent&apos;s ceiling has no tools. An admin can add some on the agent&apos;s page.</p>
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
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {error && (
        <p role="alert" className="mt-1 text-xs text-rose-700">
          {error}
        </p>
      )}
    </fieldset>
  );
}
