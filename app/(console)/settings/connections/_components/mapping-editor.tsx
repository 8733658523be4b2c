"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useId, useState } from "react";
import type { CatalogTool, ConnectionView, EpOption } from "./types";
import { Button } from "@/components/ui/button";
import { CheckboxGroup } from "@/components/ui/checkbox-group";
import { ErrorAlert } from "@/components/ui/error-alert";
import { Field, inputClass } from "@/components/ui/field";
import { apiFetch, type ApiError } from "@/lib/api/client";

type Row = { upstream: string; tool: string; resourceType: string; resourceArgument: string };

const rowsOf = (c: ConnectionView): Row[] => c.tools.map((m) => ({ upstream: m.upstream, tool: m.tool, resourceType: m.resource?.type ?? "", resourceArgument: m.resource?.argument ?? "" }));

/** Edits what the gateway may show of this connection: tool mapping, resources/prompts, the keys serving it. */
export function MappingEditor({ connection: c, points, tools, upstreamTools, onDone }: { connection: ConnectionView; points: EpOption[]; tools: CatalogTool[]; upstreamTools: string[]; onDone: () => void }) {
  const router = useRouter();
  const listId = useId();
  const [rows, setRows] = useState<Row[]>(() => (rowsOf(c).length ? rowsOf(c) : [{ upstream: "", tool: "", resourceType: "", resourceArgument: "" }]));
  const [resources, setResources] = useState(c.resources?.tool ?? "");
  const [prompts, setPrompts] = useState(c.prompts?.tool ?? "");
  const [eps, setEps] = useState<string[]>(c.enforcementPointIds.filter((id) => points.some((p) => p.id === id)));
  const set = (i: number, p: Partial<Row>) => setRows(rows.map((r, n) => (n === i ? { ...r, ...p } : r)));
  const save = useMutation<{ connection: ConnectionView }, ApiError>({
    mutationFn: () =>
      apiFetch(`/api/v1/connections/${c.id}`, {
        method: "PATCH",
        body: {
          tools: rows
            .filter((r) => r.upstream.trim())
            .map((r) => ({
              upstream: r.upstream.trim(),
              tool: r.tool,
              ...(r.resourceType.trim() || r.resourceArgument.trim() ? { resource: { type: r.resourceType.trim(), argument: r.resourceArgument.trim() } } : {}),
            })),
          resources: resources ? { tool: resources } : null,
          prompts: prompts ? { tool: prompts } : null,
          enforcementPointIds: eps,
        },
      }),
    onSuccess: () => {
      router.refresh();
      onDone();
    },
  });
  const unmapped = upstreamTools.filter((u) => !rows.some((r) => r.upstream === u));
  const toolSelect = (value: string, onChange: (v: string) => void, label: string, empty?: string) => (
    <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value)} className={`${inputClass} mt-0 font-mono`} required={!empty}>
      <option value="">{empty ?? "choose a catalog tool"}</option>
      {tools.map((t) => (
        <option key={t.name} value={t.name}>
          {t.name} ({t.risk})
        </option>
      ))}
    </select>
  );
  return (
    <form
      aria-label={`Edit mapping of ${c.name}`}
      data-testid="mapping-editor"
      className="rounded-md border border-indigo-200 bg-indigo-50/40 p-3"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <datalist id={listId}>
        {upstreamTools.map((u) => (
          <option key={u} value={u} />
        ))}
      </datalist>
      <p className="mb-2 text-xs text-slate-600">
        Each upstream tool is decided as one catalog tool. The resource, when given, is the decision&apos;s resource: its type, and the call argument whose value is its id (e.g. type <span className="font-mono">path</span>, argument <span className="font-mono">path</span>).
      </p>
      <ul className="space-y-2">
        {rows.map((r, i) => (
          <li key={i} className="grid gap-2 rounded-md bg-white p-2 sm:grid-cols-[1.2fr_1.2fr_0.8fr_0.8fr_auto] sm:items-center" data-testid="mapping-editor-row">
            <input aria-label={`Upstream tool ${i + 1}`} list={listId} value={r.upstream} onChange={(e) => set(i, { upstream: e.target.value })} className={`${inputClass} mt-0 font-mono`} placeholder="upstream tool" autoComplete="off" />
            {toolSelect(r.tool, (v) => set(i, { tool: v }), `Catalog tool for ${r.upstream || `row ${i + 1}`}`)}
            <input aria-label={`Resource type for ${r.upstream || `row ${i + 1}`}`} value={r.resourceType} onChange={(e) => set(i, { resourceType: e.target.value })} className={`${inputClass} mt-0 font-mono`} placeholder="resource type" autoComplete="off" />
            <input aria-label={`Resource argument for ${r.upstream || `row ${i + 1}`}`} value={r.resourceArgument} onChange={(e) => set(i, { resourceArgument: e.target.value })} className={`${inputClass} mt-0 font-mono`} placeholder="argument" autoComplete="off" />
            <Button size="sm" variant="secondary" onClick={() => setRows(rows.filter((_, n) => n !== i))}>
              Remove<span className="sr-only"> {r.upstream || `row ${i + 1}`}</span>
            </Button>
          </li>
        ))}
      </ul>
      <div className="mt-2 flex flex-wrap gap-2">
        <Button size="sm" variant="ghost" onClick={() => setRows([...rows, { upstream: "", tool: "", resourceType: "", resourceArgument: "" }])}>
          + Map another tool
        </Button>
        {unmapped.length > 0 && (
          <Button size="sm" variant="ghost" onClick={() => setRows([...rows.filter((r) => r.upstream.trim()), ...unmapped.map((u) => ({ upstream: u, tool: "", resourceType: "", resourceArgument: "" }))])}>
            + Add the {unmapped.length} unmapped tools the test found
          </Button>
        )}
      </div>
      <div className="mt-3 grid gap-3 sm:grid-cols-2">
        <Field label="resources/read is decided as" hint="Empty: the gateway refuses this server's resources.">
          {toolSelect(resources, setResources, "resources/read is decided as", "refused")}
        </Field>
        <Field label="prompts/get is decided as" hint="Empty: the gateway refuses this server's prompts.">
          {toolSelect(prompts, setPrompts, "prompts/get is decided as", "refused")}
        </Field>
      </div>
      <CheckboxGroup legend="Served by" options={points.filter((p) => p.scopes.includes("connections:read") || eps.includes(p.id)).map((p) => p.id)} chosen={eps} onChange={setEps} labelOf={(id) => <span className="font-sans">{points.find((p) => p.id === id)?.name ?? id}</span>} />
      <div className="mt-3">
        <ErrorAlert error={save.error} />
      </div>
      <div className="mt-3 flex gap-2">
        <Button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save mapping"}
        </Button>
        <Button variant="secondary" onClick={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
