import { Field, inputClass } from "@/components/ui/field";
import { FilterForm } from "@/components/ui/filter-form";
import type { AgentListQuery } from "@/lib/agents/schemas";

export function AgentFilters({ query, environments }: { query: AgentListQuery; environments: string[] }) {
  return (
    <FilterForm label="Filter agents">
      <Field label="Search" className="w-64">
        <input type="search" name="q" defaultValue={query.q ?? ""} placeholder="name or description" className={inputClass} />
      </Field>
      <Field label="Status">
        <select name="status" defaultValue={query.status ?? ""} className={inputClass}>
          <option value="">Any status</option>
          <option value="active">active</option>
          <option value="suspended">suspended</option>
          <option value="retired">retired</option>
        </select>
      </Field>
      <Field label="Environment">
        <select name="environment" defaultValue={query.environment ?? ""} className={inputClass}>
          <option value="">Any environment</option>
          {environments.map((e) => (
            <option key={e} value={e}>
              {e}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Flag">
        <select name="flag" defaultValue={query.flag ?? ""} className={inputClass}>
          <option value="">Any</option>
          <option value="dormant">dormant (no lease in 30 days)</option>
          <option value="orphaned">orphaned (owner gone)</option>
        </select>
      </Field>
    </FilterForm>
  );
}
