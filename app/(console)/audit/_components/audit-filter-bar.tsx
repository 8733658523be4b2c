"use client";
import { Button } from "@/components/ui/button";
import { Field, inputClass } from "@/components/ui/field";
import { formErrors, type FormSpec } from "@/lib/schemas/form-errors";
import { FILTER_KEYS, OUTCOMES, type AuditFilterValues } from "./filters";

export type FilterOptions = { agents: { id: string; name: string }[]; tools: string[]; actions: string[] };
type SetFilters = (next: Partial<AuditFilterValues> | null) => unknown;

/** The API's issues about a filter are said at its field, once (the explorer's alert only names it). */
export const AUDIT_FILTER_FIELDS: FormSpec = {
  q: { label: "Search" },
  actor: { label: "Actor" },
  runId: { label: "Run" },
  leaseId: { label: "Lease" },
  action: { label: "Event type" },
  from: { label: "From (UTC)", format: "a date and time, like 2026-01-31T09:00Z" },
  to: { label: "To (UTC)", format: "a date and time, like 2026-01-31T17:00Z" },
};

/** `datetime-local` speaks UTC here, like every time the console shows. */
const toLocalInput = (iso: string | null) => (iso && !Number.isNaN(Date.parse(iso)) ? new Date(iso).toISOString().slice(0, 16) : "");
const fromLocalInput = (v: string) => (v ? new Date(`${v}:00Z`).toISOString() : null);

const PRESETS = [
  { label: "1 h", ms: 3_600_000 },
  { label: "24 h", ms: 86_400_000 },
  { label: "7 d", ms: 7 * 86_400_000 },
  { label: "30 d", ms: 30 * 86_400_000 },
];

/**
 * The filter bar. Pickers apply at once; typed fields apply on Enter or "Apply". Every value lands in
 * the URL (see filters.ts), so the query is the link. The form is re-keyed on each URL change, so
 * back/forward and shared links show what is applied.
 */
export function AuditFilterBar({ filters, setFilters, options, error }: { filters: AuditFilterValues; setFilters: SetFilters; options: FilterOptions; error?: Error | null }) {
  const issue = formErrors(error, AUDIT_FILTER_FIELDS).field;
  function apply(form: HTMLFormElement) {
    const data = new FormData(form);
    const next: Partial<AuditFilterValues> = {};
    for (const k of FILTER_KEYS) {
      if (!data.has(k)) continue;
      const raw = String(data.get(k) ?? "").trim();
      next[k] = k === "from" || k === "to" ? fromLocalInput(raw) : raw || null;
    }
    void setFilters(next);
  }
  const agentKnown = !filters.agentId || options.agents.some((a) => a.id === filters.agentId);
  const toolKnown = !filters.tool || options.tools.includes(filters.tool);
  const outcomeKnown = !filters.outcome || (OUTCOMES as readonly string[]).includes(filters.outcome);

  return (
    <form
      key={JSON.stringify(filters)}
      role="search"
      aria-label="Filter audit events"
      data-testid="audit-filters"
      className="mb-4 rounded-lg border border-slate-200 bg-white p-4 shadow-xs"
      onSubmit={(e) => {
        e.preventDefault();
        apply(e.currentTarget);
      }}
      onChange={(e) => {
        if (e.target instanceof HTMLSelectElement && e.target.form) apply(e.target.form);
      }}
    >
      <div className="grid grid-cols-2 gap-3 md:grid-cols-4 xl:grid-cols-6">
        <Field label="Search" className="col-span-2 xl:col-span-2" error={issue("q")}>
          <input name="q" type="search" defaultValue={filters.q ?? ""} placeholder="words in the event, actor, tool or payload" className={inputClass} />
        </Field>
        <Field label="Agent">
          <select name="agentId" defaultValue={filters.agentId ?? ""} className={inputClass}>
            <option value="">Any agent</option>
            {!agentKnown && <option value={filters.agentId!}>{filters.agentId}</option>}
            {options.agents.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Outcome">
          <select name="outcome" defaultValue={filters.outcome ?? ""} className={inputClass}>
            <option value="">Any outcome</option>
            {!outcomeKnown && <option value={filters.outcome!}>{filters.outcome}</option>}
            {OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Tool">
          <select name="tool" defaultValue={filters.tool ?? ""} className={inputClass}>
            <option value="">Any tool</option>
            {!toolKnown && <option value={filters.tool!}>{filters.tool}</option>}
            {options.tools.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Event type" hint="a type, or a family: escalation finds escalation.*" error={issue("action")}>
          <input name="action" list="audit-actions" defaultValue={filters.action ?? ""} placeholder="e.g. escalation" className={`${inputClass} font-mono`} />
        </Field>
        <datalist id="audit-actions">
          {options.actions.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <Field label="Actor" error={issue("actor")}>
          <input name="actor" defaultValue={filters.actor ?? ""} placeholder="email, usr_, ep_ or run_ id" className={inputClass} />
        </Field>
        <Field label="Run" error={issue("runId")}>
          <input name="runId" defaultValue={filters.runId ?? ""} placeholder="run_…" className={`${inputClass} font-mono`} />
        </Field>
        <Field label="Lease" error={issue("leaseId")}>
          <input name="leaseId" defaultValue={filters.leaseId ?? ""} placeholder="lse_…" className={`${inputClass} font-mono`} />
        </Field>
        <Field label="From (UTC)" error={issue("from")}>
          <input name="from" type="datetime-local" defaultValue={toLocalInput(filters.from)} className={inputClass} />
        </Field>
        <Field label="To (UTC)" error={issue("to")}>
          <input name="to" type="datetime-local" defaultValue={toLocalInput(filters.to)} className={inputClass} />
        </Field>
      </div>
      <div className="mt-3 flex flex-wrap items-center gap-2">
        <Button type="submit" variant="secondary">
          Apply
        </Button>
        <Button variant="ghost" onClick={() => void setFilters(null)}>
          Clear all
        </Button>
        <div className="ml-2 flex items-center gap-1" role="group" aria-label="Time range presets">
          <span className="mr-1 text-xs text-slate-500">Last</span>
          {PRESETS.map((p) => (
            <Button key={p.label} variant="secondary" size="sm" onClick={() => void setFilters({ from: new Date(Date.now() - p.ms).toISOString(), to: null })}>
              {p.label}
            </Button>
          ))}
        </div>
        {filters.escalationId && <Chip label="Escalation" value={filters.escalationId} onClear={() => void setFilters({ escalationId: null })} />}
        {filters.decisionId && <Chip label="Decision" value={filters.decisionId} onClear={() => void setFilters({ decisionId: null })} />}
      </div>
    </form>
  );
}

function Chip({ label, value, onClear }: { label: string; value: string; onClear: () => void }) {
  return (
    <span className="inline-flex items-center gap-1 rounded-full bg-indigo-50 px-2.5 py-1 text-xs text-indigo-800 ring-1 ring-indigo-600/20 ring-inset">
      {label}: <span className="font-mono">{value}</span>
      <button type="button" onClick={onClear} aria-label={`Remove the ${label.toLowerCase()} filter`} className="ml-0.5 rounded px-1 hover:bg-indigo-100">
        ×
      </button>
    </span>
  );
}
