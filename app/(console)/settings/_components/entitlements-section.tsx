"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { CheckboxGroup } from "@/components/ui/checkbox-group";
import { EmptyState } from "@/components/ui/empty-state";
import { ErrorAlert } from "@/components/ui/error-alert";
import { Field, inputClass } from "@/components/ui/field";
import { tableClass, TableWrap, tdClass, thClass } from "@/components/ui/table";
import { ApiError, apiFetch, localIssues } from "@/lib/api/client";
import { ROLES } from "@/lib/auth/permissions";
import { EntitlementCreate, type EntitlementView } from "@/lib/entitlements/schemas";
import { formErrors, type FormSpec } from "@/lib/schemas/form-errors";

const ENTITLEMENT_FIELDS: FormSpec = {
  subjectId: { label: "Who", required: "choose who", format: "choose who" },
  tools: { label: "Tools", items: ["tool", "tools"], required: "choose at least one tool, or every tool" },
  environments: { label: "Environments", items: ["environment", "environments"], required: "name at least one environment, or *", format: "lowercase environment names, or *" },
  resources: { label: "Resource scopes", items: ["scope", "scopes"], format: "one scope a line, as type: id or type: id/*" },
  description: { label: "Description" },
};

type Subject = { id: string; label: string };
const RISKS = ["low", "medium", "high", "critical"] as const;

const scopeText = (r: EntitlementView["resources"]) => (r === null ? "any resource" : r.map((s) => `${s.type}: ${s.ids.join(", ")}`).join("; "));

/**
 * Who may delegate what to agents. A person's delegable set is the union of their role's, their groups'
 * and their own entitlements; the lease form offers only that (intersected with the agent's ceiling).
 */
export function EntitlementsSection({ entitlements, tools, groups, people }: { entitlements: EntitlementView[]; tools: { name: string; risk: string }[]; groups: Subject[]; people: Subject[] }) {
  const order = { role: 0, group: 1, person: 2 } as const;
  const rows = [...entitlements].sort((a, b) => order[a.subjectType] - order[b.subjectType] || a.subjectLabel.localeCompare(b.subjectLabel) || a.id.localeCompare(b.id));
  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-600">
        What people may delegate to agents: per role, group or person, which catalog tools (optionally up to a risk), in which environments and on which resources. A person may delegate the union of their role&apos;s, groups&apos; and own entitlements.
        Removing one revokes the live leases that no longer fit.
      </p>
      {rows.length === 0 ? (
        <EmptyState title="No entitlements" testId="entitlements-empty">
          Nobody may delegate anything until one is added.
        </EmptyState>
      ) : (
        <TableWrap label="Entitlements">
          <table className={tableClass} data-testid="entitlements-table">
            <thead className="bg-slate-50">
              <tr>
                <th className={thClass}>Who</th>
                <th className={thClass}>Tools</th>
                <th className={thClass}>Environments</th>
                <th className={thClass}>Resources</th>
                <th className={thClass}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {rows.map((e) => (
                <EntitlementRow key={e.id} e={e} />
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <AddEntitlement tools={tools} groups={groups} people={people} />
    </div>
  );
}

function EntitlementRow({ e }: { e: EntitlementView }) {
  const router = useRouter();
  const del = useMutation({ mutationFn: () => apiFetch(`/api/v1/entitlements/${e.id}`, { method: "DELETE" }), onSuccess: () => router.refresh() });
  return (
    <tr data-testid="entitlement-row" data-subject={`${e.subjectType}:${e.subjectLabel}`}>
      <td className={`${tdClass} align-top`}>
        <div className="flex items-center gap-2">
          <Badge tone={e.subjectType === "role" ? "blue" : e.subjectType === "group" ? "violet" : "slate"}>{e.subjectType}</Badge>
          <span className="font-medium">{e.subjectLabel}</span>
        </div>
        {e.description && <div className="mt-1 text-xs text-slate-500">{e.description}</div>}
      </td>
      <td className={`${tdClass} align-top font-mono text-xs`}>
        {e.tools.includes("*") ? "every tool" : e.tools.join(", ")}
        {e.maxRisk && <span className="ml-1 font-sans text-slate-500">(up to {e.maxRisk} risk)</span>}
      </td>
      <td className={`${tdClass} align-top text-xs`}>{e.environments.includes("*") ? "any" : e.environments.join(", ")}</td>
      <td className={`${tdClass} align-top font-mono text-xs`}>{scopeText(e.resources)}</td>
      <td className={`${tdClass} text-right align-top`}>
        <Button
          size="sm"
          variant="secondary"
          disabled={del.isPending}
          onClick={() => {
            if (window.confirm(`Remove this entitlement of ${e.subjectLabel}? Live leases it alone allowed will be revoked.`)) del.mutate();
          }}
        >
          Remove<span className="sr-only"> entitlement of {e.subjectLabel}</span>
        </Button>
        {del.error && <ErrorAlert error={del.error} testId="entitlement-error" />}
      </td>
    </tr>
  );
}

/** "repo: org/a/*, org/b" per line → [{ type, ids }]; empty → null (any resource). */
function parseResources(text: string): { type: string; ids: string[] }[] | null {
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  if (lines.length === 0) return null;
  return lines.map((l) => {
    const i = l.indexOf(":");
    const type = i < 0 ? l : l.slice(0, i).trim();
    const ids = i < 0 ? [] : l.slice(i + 1).split(",").map((s) => s.trim()).filter(Boolean);
    return { type, ids };
  });
}

function AddEntitlement({ tools, groups, people }: { tools: { name: string; risk: string }[]; groups: Subject[]; people: Subject[] }) {
  const router = useRouter();
  const empty = { subjectType: "group" as "role" | "group" | "person", subjectId: "", everyTool: false, tools: [] as string[], maxRisk: "", environments: "*", resources: "", description: "" };
  const [form, setForm] = useState(empty);
  const [done, setDone] = useState<string | null>(null);
  const subjects: Subject[] = form.subjectType === "role" ? ROLES.map((r) => ({ id: r, label: r })) : form.subjectType === "group" ? groups : people;
  const add = useMutation({
    mutationFn: () => {
      const body = EntitlementCreate.safeParse({
        subjectType: form.subjectType,
        subjectId: form.subjectId,
        tools: form.everyTool ? ["*"] : form.tools,
        maxRisk: form.maxRisk || null,
        environments: form.environments.split(",").map((s) => s.trim()).filter(Boolean),
        resources: parseResources(form.resources),
        description: form.description || undefined,
      });
      if (!body.success) throw localIssues(body.error.issues);
      return apiFetch<{ entitlement: EntitlementView }>("/api/v1/entitlements", { method: "POST", body: body.data });
    },
    onSuccess: ({ entitlement }) => {
      setDone(`Entitlement added for ${entitlement.subjectLabel}.`);
      setForm(empty);
      router.refresh();
    },
  });
  const issue = formErrors(add.error instanceof ApiError ? add.error : null, ENTITLEMENT_FIELDS).field;
  return (
    <form
      aria-label="Add entitlement"
      data-testid="add-entitlement-form"
      noValidate
      className="rounded-lg border border-slate-200 bg-white p-4"
      onSubmit={(e) => {
        e.preventDefault();
        setDone(null);
        add.mutate();
      }}
    >
      <h3 className="mb-3 text-sm font-semibold">Add an entitlement</h3>
      <div className="grid gap-3 sm:grid-cols-3">
        <Field label="For a">
          <select value={form.subjectType} onChange={(e) => setForm({ ...form, subjectType: e.target.value as typeof form.subjectType, subjectId: "" })} className={inputClass}>
            <option value="role">role</option>
            <option value="group">group</option>
            <option value="person">person</option>
          </select>
        </Field>
        <Field label="Who" error={issue("subjectId")}>
          <select value={form.subjectId} onChange={(e) => setForm({ ...form, subjectId: e.target.value })} className={inputClass}>
            <option value="">Choose…</option>
            {subjects.map((s) => (
              <option key={s.id} value={s.id}>
                {s.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Up to risk" hint="covers only tools of at most this risk">
          <select value={form.maxRisk} onChange={(e) => setForm({ ...form, maxRisk: e.target.value })} className={inputClass}>
            <option value="">any risk</option>
            {RISKS.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <label className="mt-3 flex items-center gap-1.5 text-sm">
        <input type="checkbox" className="size-4" checked={form.everyTool} onChange={(e) => setForm({ ...form, everyTool: e.target.checked })} />
        Every catalog tool (*)
      </label>
      {!form.everyTool && (
        <CheckboxGroup legend="Tools" options={tools.map((t) => t.name)} chosen={form.tools} onChange={(next) => setForm({ ...form, tools: next })} />
      )}
      {issue("tools") && <p className="mt-1 text-sm text-rose-700">{issue("tools")}</p>}
      <div className="mt-3 grid gap-3 sm:grid-cols-3">
        <Field label="Environments" hint="comma-separated, or * for any" error={issue("environments")}>
          <input value={form.environments} onChange={(e) => setForm({ ...form, environments: e.target.value })} className={inputClass} autoComplete="off" />
        </Field>
        <Field label="Resource scopes" hint="one per line, type: id, id/* — empty for any resource" error={issue("resources")}>
          <textarea rows={2} value={form.resources} onChange={(e) => setForm({ ...form, resources: e.target.value })} className={`${inputClass} font-mono`} />
        </Field>
        <Field label="Description" error={issue("description")}>
          <input value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} className={inputClass} autoComplete="off" />
        </Field>
      </div>
      <div className="mt-3 flex items-center gap-3">
        <Button type="submit" disabled={add.isPending}>
          {add.isPending ? "Adding…" : "Add entitlement"}
        </Button>
        {done && (
          <p role="status" className="text-sm text-emerald-700">
            {done}
          </p>
        )}
      </div>
      <div className="mt-2">
        <ErrorAlert error={add.error} fields={ENTITLEMENT_FIELDS} />
      </div>
    </form>
  );
}
