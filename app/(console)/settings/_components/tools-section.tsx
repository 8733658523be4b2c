"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { RiskBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ErrorAlert } from "@/components/ui/error-alert";
import { Field, inputClass } from "@/components/ui/field";
import { tableClass, TableWrap, tdClass, thClass } from "@/components/ui/table";
import { ApiError, apiFetch } from "@/lib/api/client";
import { formErrors, type FormSpec } from "@/lib/schemas/form-errors";
import type { ToolView } from "@/lib/tools/schemas";

const TOOL_FIELDS: FormSpec = {
  name: { label: "Tool name", required: "name the tool, e.g. repo.read", format: "system.action, e.g. repo.read" },
  risk: { label: "Risk" },
  requiredApprovals: { label: "Required approvals", required: "a number from 1 to 5, or empty" },
  description: { label: "Description" },
};

const RISKS = ["low", "medium", "high", "critical"] as const;

export function ToolsSection({ tools }: { tools: ToolView[] }) {
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <div className="space-y-4">
      <TableWrap label="Tool catalog">
        <table className={tableClass} data-testid="tools-table">
          <thead className="bg-slate-50">
            <tr>
              <th className={thClass}>Tool</th>
              <th className={thClass}>Risk</th>
              <th className={thClass}>Kind</th>
              <th className={thClass}>Step-up</th>
              <th className={thClass}>Approvals</th>
              <th className={thClass}>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {tools.map((t) =>
              editing === t.name ? (
                <tr key={t.name}>
                  <td colSpan={6} className="bg-slate-50 p-3">
                    <ToolForm tool={t} onDone={() => setEditing(null)} />
                  </td>
                </tr>
              ) : (
                <tr key={t.name} data-testid="tool-row" data-tool={t.name}>
                  <td className={tdClass}>
                    <div className="font-mono">{t.name}</div>
                    {t.description && <div className="text-xs text-slate-500">{t.description}</div>}
                  </td>
                  <td className={tdClass}>
                    <RiskBadge risk={t.risk} />
                  </td>
                  <td className={tdClass}>{t.readOnly ? "read-only" : "write"}</td>
                  <td className={tdClass}>{t.alwaysStepUp ? "always" : t.risk === "high" || t.risk === "critical" ? "by risk" : "no"}</td>
                  <td className={tdClass}>{t.requiredApprovals ?? "default"}</td>
                  <td className={`${tdClass} text-right`}>
                    <Button size="sm" variant="secondary" onClick={() => setEditing(t.name)}>
                      Edit<span className="sr-only"> {t.name}</span>
                    </Button>
                  </td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      </TableWrap>
      <div className="rounded-lg border border-slate-200 bg-white p-4">
        <h3 className="mb-3 text-sm font-semibold">Add a tool</h3>
        <ToolForm />
      </div>
    </div>
  );
}

function ToolForm({ tool, onDone }: { tool?: ToolView; onDone?: () => void }) {
  const router = useRouter();
  const blank = { name: "", description: "", risk: "medium", readOnly: false, alwaysStepUp: false, requiredApprovals: "" };
  const [f, setF] = useState(tool ? { ...tool, requiredApprovals: tool.requiredApprovals ? String(tool.requiredApprovals) : "" } : blank);
  const save = useMutation({
    mutationFn: () =>
      apiFetch<{ tool: ToolView }>("/api/v1/tools", {
        method: "POST",
        body: { name: f.name.trim(), description: f.description, risk: f.risk, readOnly: f.readOnly, alwaysStepUp: f.alwaysStepUp, requiredApprovals: f.requiredApprovals ? Number(f.requiredApprovals) : null },
      }),
    onSuccess: () => {
      if (!tool) setF(blank);
      onDone?.();
      router.refresh();
    },
  });
  const issue = formErrors(save.error instanceof ApiError ? save.error : null, TOOL_FIELDS).field;
  return (
    <form
      aria-label={tool ? `Edit ${tool.name}` : "Add tool"}
      data-testid={tool ? "edit-tool-form" : "add-tool-form"}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
      className="space-y-3"
    >
      <div className="grid gap-3 sm:grid-cols-4">
        {tool ? (
          <p className="font-mono text-sm sm:col-span-1 sm:pt-7">{tool.name}</p>
        ) : (
          <Field label="Tool name" hint="system.action, e.g. repo.read" error={issue("name")}>
            <input value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} required className={`${inputClass} font-mono`} />
          </Field>
        )}
        <Field label="Risk">
          <select value={f.risk} onChange={(e) => setF({ ...f, risk: e.target.value as ToolView["risk"] })} className={inputClass}>
            {RISKS.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Required approvals" hint="empty = default (critical 2, else 1)" error={issue("requiredApprovals")}>
          <input type="number" min={1} max={5} value={f.requiredApprovals} onChange={(e) => setF({ ...f, requiredApprovals: e.target.value })} className={inputClass} />
        </Field>
        <Field label="Description" error={issue("description")}>
          <input value={f.description} onChange={(e) => setF({ ...f, description: e.target.value })} className={inputClass} />
        </Field>
      </div>
      <div className="flex flex-wrap gap-4 text-sm">
        <label className="flex items-center gap-1.5">
          <input type="checkbox" checked={f.readOnly} onChange={(e) => setF({ ...f, readOnly: e.target.checked })} className="size-4" />
          Read-only
        </label>
        <label className="flex items-center gap-1.5">
          <input type="checkbox" checked={f.alwaysStepUp} onChange={(e) => setF({ ...f, alwaysStepUp: e.target.checked })} className="size-4" />
          Always needs step-up
        </label>
      </div>
      <ErrorAlert error={save.error} fields={TOOL_FIELDS} />
      <div className="flex gap-2">
        <Button type="submit" size="sm" disabled={save.isPending}>
          {save.isPending ? "Saving…" : tool ? "Save tool" : "Add tool"}
        </Button>
        {onDone && (
          <Button size="sm" variant="secondary" onClick={onDone}>
            Cancel
          </Button>
        )}
      </div>
    </form>
  );
}
