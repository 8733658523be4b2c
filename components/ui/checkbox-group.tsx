"use client";

/** A labelled group of checkboxes choosing a subset of `options` (scopes, events …). */
export function CheckboxGroup<T extends string>({ legend, options, chosen, onChange, labelOf }: { legend: string; options: readonly T[]; chosen: T[]; onChange: (next: T[]) => void; labelOf?: (option: T) => React.ReactNode }) {
  return (
    <fieldset className="mt-3">
      <legend className="text-sm font-medium">{legend}</legend>
      <div className="mt-1 flex flex-wrap gap-3">
        {options.map((o) => (
          <label key={o} className="flex items-center gap-1.5 font-mono text-sm">
            <input type="checkbox" checked={chosen.includes(o)} onChange={(e) => onChange(e.target.checked ? [...chosen, o] : chosen.filter((x) => x !== o))} className="size-4" />
            {labelOf ? labelOf(o) : o}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
