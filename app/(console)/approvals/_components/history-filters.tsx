import { KIND_LABEL } from "./prompt-text";
import { Field, inputClass } from "@/components/ui/field";
import { FilterForm } from "@/components/ui/filter-form";
import { DECIDED_STATUSES } from "@/lib/escalations/history";

export type HistoryFilter = { status?: string; kind?: string; agentId?: string };

export function HistoryFilters({ query, agents }: { query: HistoryFilter; agents: { id: string; name: string }[] }) {
  return (
    <FilterForm label="Filter decided requests" testId="history-filters">
      <Field label="Outcome">
        <select name="status" defaultValue={query.status ?? ""} className={inputClass}>
          <option value="">Any outcome</option>
          {DECIDED_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Kind">
        <select name="kind" defaultValue={query.kind ?? ""} className={inputClass}>
          <option value="">Any kind</option>
          {Object.entries(KIND_LABEL).map(([k, label]) => (
            <option key={k} value={k}>
              {label}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Agent">
        <select name="agentId" defaultValue={query.agentId ?? ""} className={inputClass}>
          <option value="">Any agent</option>
          {agents.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
      </Field>
    </FilterForm>
  );
}
