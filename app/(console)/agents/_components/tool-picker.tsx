"use client";
import { RiskBadge } from "@/components/ui/badge";
import type { ToolView } from "@/lib/tools/schemas";

/** Checkboxes over the tool catalog; each box is named by its tool, the risk sits beside it. */
export function ToolPicker({ legend, tools, selected, onChange, error, testId = "tool-picker" }: { legend: string; tools: ToolView[]; selected: Set<string>; onChange: (next: Set<string>) => void; error?: string; testId?: string }) {
  function toggle(name: string, on: boolean) {
    const next = new Set(selected);
    if (on) next.add(name);
    else next.delete(name);
    onChange(next);
  }
  return (
    <fieldset data-testid={testId} aria-invalid={error ? true : undefined}>
      <legend className="text-sm font-medium text-slate-800">
        {legend} <span className="font-normal text-slate-500">({selected.size} selected)</span>
      </legend>
      <ul className="mt-2 grid max-h-72 grid-cols-1 gap-1 overflow-y-auto rounded-md border border-slate-200 p-2 sm:grid-cols-2">
        {tools.map((t) => (
          <li key={t.name} className="flex items-center justify-between gap-2 rounded px-2 py-1 hover:bg-slate-50">
            <label className="flex min-w-0 items-center gap-2 font-mono text-sm">
              <input type="checkbox" name="tools" value={t.name} checked={selected.has(t.name)} onChange={(e) => toggle(t.name, e.target.checked)} className="size-4" />
              <span className="truncate">{t.name}</span>
            </label>
            <span className="flex shrink-0 items-center gap-1">
              {t.alwaysStepUp && <span className="text-xs text-amber-800">step-up</span>}
              <RiskBadge risk={t.risk} />
            </span>
          </li>
        ))}
      </ul>
      {error && (
        <p role="alert" className="mt-1 text-xs text-rose-700">
          {error}
        </p>
      )}
    </fieldset>
  );
}
