"use client";
import { Button } from "@/components/ui/button";
import { inputClass } from "@/components/ui/field";

export type Pair = { name: string; value: string };

/**
 * Rows of name + write-only value (environment variables, HTTP headers): the value is a password field,
 * never prefilled, because nothing reads a stored value back.
 */
export function SecretPairs({ legend, nameLabel, pairs, onChange, hint, testId }: { legend: string; nameLabel: string; pairs: Pair[]; onChange: (next: Pair[]) => void; hint?: string; testId?: string }) {
  const set = (i: number, p: Partial<Pair>) => onChange(pairs.map((x, n) => (n === i ? { ...x, ...p } : x)));
  return (
    <fieldset className="mt-3 text-sm" data-testid={testId}>
      <legend className="font-medium text-slate-800">{legend}</legend>
      {hint && <p className="mt-0.5 text-xs text-slate-500">{hint}</p>}
      <div className="mt-1 space-y-2">
        {pairs.map((p, i) => (
          <div key={i} className="flex flex-wrap items-end gap-2 sm:flex-nowrap">
            <input aria-label={`${nameLabel} ${i + 1}`} value={p.name} onChange={(e) => set(i, { name: e.target.value })} className={`${inputClass} mt-0 font-mono sm:max-w-64`} placeholder={nameLabel} autoComplete="off" />
            <input aria-label={`Value of ${p.name || `${nameLabel} ${i + 1}`}`} type="password" value={p.value} onChange={(e) => set(i, { value: e.target.value })} className={`${inputClass} mt-0 font-mono`} placeholder="value (write-only)" autoComplete="new-password" />
            <Button size="sm" variant="secondary" onClick={() => onChange(pairs.filter((_, n) => n !== i))}>
              Remove<span className="sr-only"> {p.name || `${nameLabel} ${i + 1}`}</span>
            </Button>
          </div>
        ))}
      </div>
      <Button size="sm" variant="ghost" className="mt-1" onClick={() => onChange([...pairs, { name: "", value: "" }])}>
        + Add {nameLabel.toLowerCase()}
      </Button>
    </fieldset>
  );
}

/** Rows with a name, as the API's record; empty rows are dropped. */
export function pairsToRecord(pairs: Pair[]): Record<string, string> | undefined {
  const filled = pairs.filter((p) => p.name.trim());
  return filled.length ? Object.fromEntries(filled.map((p) => [p.name.trim(), p.value])) : undefined;
}
