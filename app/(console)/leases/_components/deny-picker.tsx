"use client";
import { RiskBadge } from "@/components/ui/badge";
import type { ToolView } from "@/lib/tools/schemas";

/** Tools named as never allowed: beyond "not granted", they stay forbidden in every subagent lease too. */
export function DenyPicker({ tools, deny, onChange }: { tools: ToolView[]; deny: string[]; onChange: (next: string[]) => void }) {
  return (
    <fieldset data-testid="deny-picker">
      <legend className="text-sm font-medium text-slate-800">
        Never allowed <span className="font-normal text-slate-500">(explicit deny, inherited by subagents)</span>
      </legend>
      <ul className="mt-2 flex flex-wrap gap-2">
        {tools.map((t) => (
          <li key={t.name}>
            <label className="flex items-center gap-1.5 rounded border border-slate-200 bg-white px-2 py-1 font-mono text-xs has-checked:border-rose-300 has-checked:bg-rose-50">
              <input
                type="checkbox"
                aria-label={`Never allow ${t.name}`}
                checked={deny.includes(t.name)}
                onChange={(e) => onChange(e.target.checked ? [...deny, t.name] : deny.filter((x) => x !== t.name))}
                className="size-3.5"
              />
              {t.name}
              <RiskBadge risk={t.risk} />
            </label>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}
