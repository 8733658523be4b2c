"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { ToolPicker } from "./tool-picker";
import { Button } from "@/components/ui/button";
import { ErrorAlert } from "@/components/ui/error-alert";
import { Field, inputClass } from "@/components/ui/field";
import { SECONDS, formErrors, type FormSpec } from "@/lib/schemas/form-errors";
import { formatDuration } from "@/components/ui/time";
import { AgentCreate, AgentPatch, type AgentView } from "@/lib/agents/schemas";
import { ApiError, apiFetch, localIssues } from "@/lib/api/client";
import type { ToolView } from "@/lib/tools/schemas";

type Person = { id: string; name: string; email: string };
type Props = { mode: "create"; agent?: undefined; people: Person[]; tools: ToolView[] } | { mode: "edit"; agent: AgentView; people: Person[]; tools: ToolView[] };

// The form's fields by the API path each sends; issues are said at the field in its words.
const AGENT_FIELDS: FormSpec = {
  name: { label: "Name", required: "give the agent a name", format: "lowercase letters, digits and dashes (2–63)" },
  description: { label: "Description" },
  // An empty owner select fails the id pattern; say what to do instead of naming the pattern.
  ownerId: { label: "Owner", required: "choose an owner", format: "choose an owner" },
  environments: { label: "Environments", items: ["environment", "environments"], required: "name at least one environment, e.g. staging", format: "lowercase names, e.g. staging, production" },
  "ceiling.tools": { label: "Ceiling tools", items: ["tool", "tools"] },
  "ceiling.maxExpiresIn": { label: "Max lease (seconds)", unit: SECONDS, required: "say how many seconds" },
  "ceiling.maxToolCalls": { label: "Max tool calls per lease", required: "say how many calls" },
  driftMode: { label: "Intent drift" },
};

const splitList = (s: string) => [...new Set(s.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean))];

export function AgentForm({ mode, agent, people, tools }: Props) {
  const router = useRouter();
  const [name, setName] = useState("");
  const [description, setDescription] = useState(agent?.description ?? "");
  const [ownerId, setOwnerId] = useState(agent?.owner?.id ?? "");
  const [environments, setEnvironments] = useState(agent?.environments.join(", ") ?? "staging");
  const [ceilingTools, setCeilingTools] = useState(new Set(agent?.ceiling.tools ?? []));
  const [maxExpiresIn, setMaxExpiresIn] = useState(String(agent?.ceiling.maxExpiresIn ?? 3600));
  const [maxToolCalls, setMaxToolCalls] = useState(String(agent?.ceiling.maxToolCalls ?? 100));
  const [driftMode, setDriftMode] = useState<"enforce" | "advisory">(agent?.driftMode ?? "advisory");
  const [saved, setSaved] = useState(false);

  const save = useMutation({
    mutationFn: async () => {
      const ceiling = { tools: [...ceilingTools], maxExpiresIn: Number(maxExpiresIn), maxToolCalls: Number(maxToolCalls) };
      const common = { description, ownerId, environments: splitList(environments), ceiling, driftMode };
      if (mode === "create") {
        const body = AgentCreate.safeParse({ name: name.trim(), ...common });
        if (!body.success) throw localIssues(body.error.issues);
        return apiFetch<{ agent: AgentView }>("/api/v1/agents", { method: "POST", body: body.data });
      }
      const body = AgentPatch.safeParse(common);
      if (!body.success) throw localIssues(body.error.issues);
      return apiFetch<{ agent: AgentView }>(`/api/v1/agents/${agent.id}`, { method: "PATCH", body: body.data });
    },
    onMutate: () => setSaved(false),
    onSuccess: ({ agent: a }) => {
      if (mode === "create") router.push(`/agents/${a.id}`);
      else {
        setSaved(true);
        router.refresh();
      }
    },
  });
  const issue = formErrors(save.error instanceof ApiError ? save.error : null, AGENT_FIELDS).field;
  // Tools already in a ceiling stay listed even if the catalog no longer has them, so they can be removed.
  const listed = [...tools, ...[...ceilingTools].filter((t) => !tools.some((c) => c.name === t)).map((n) => ({ name: n, description: "", risk: "critical" as const, readOnly: false, alwaysStepUp: false, requiredApprovals: null }))];

  return (
    <form
      noValidate
      data-testid={mode === "create" ? "agent-create-form" : "agent-edit-form"}
      aria-label={mode === "create" ? "New agent" : "Edit agent"}
      className="space-y-5"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      {mode === "create" && (
        <Field label="Name" hint="lowercase letters, digits and dashes, e.g. repo-maintenance-agent" error={issue("name")}>
          <input name="name" required value={name} onChange={(e) => setName(e.target.value)} className={`${inputClass} font-mono`} autoComplete="off" aria-invalid={Boolean(issue("name")) || undefined} />
        </Field>
      )}
      <Field label="Description" error={issue("description")}>
        <textarea name="description" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} className={inputClass} />
      </Field>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Owner" hint="The person accountable for this agent." error={issue("ownerId")}>
          <select name="ownerId" required value={ownerId} onChange={(e) => setOwnerId(e.target.value)} className={inputClass} aria-invalid={Boolean(issue("ownerId")) || undefined}>
            <option value="">Choose a person…</option>
            {people.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.email})
              </option>
            ))}
          </select>
        </Field>
        <Field label="Environments" hint="comma-separated, e.g. staging, production" error={issue("environments")}>
          <input name="environments" required value={environments} onChange={(e) => setEnvironments(e.target.value)} className={`${inputClass} font-mono`} aria-invalid={Boolean(issue("environments")) || undefined} />
        </Field>
      </div>
      <ToolPicker legend="Ceiling tools" tools={listed} selected={ceilingTools} onChange={setCeilingTools} error={issue("ceiling.tools")} testId="ceiling-tools" />
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Max lease (seconds)" hint={Number(maxExpiresIn) > 0 ? `= ${formatDuration(Number(maxExpiresIn))}; 60 s to 7 days` : "60 s to 7 days"} error={issue("ceiling.maxExpiresIn")}>
          <input name="maxExpiresIn" type="number" inputMode="numeric" min={60} step={60} value={maxExpiresIn} onChange={(e) => setMaxExpiresIn(e.target.value)} className={inputClass} />
        </Field>
        <Field label="Max tool calls per lease" error={issue("ceiling.maxToolCalls")}>
          <input name="maxToolCalls" type="number" inputMode="numeric" min={1} value={maxToolCalls} onChange={(e) => setMaxToolCalls(e.target.value)} className={inputClass} />
        </Field>
        <Field label="Intent drift" hint="What a call off its lease's declared intent does." error={issue("driftMode")}>
          <select name="driftMode" value={driftMode} onChange={(e) => setDriftMode(e.target.value === "enforce" ? "enforce" : "advisory")} className={inputClass}>
            <option value="advisory">Advisory: allow it and flag it</option>
            <option value="enforce">Enforce: hold it for a person (intent_drift)</option>
          </select>
        </Field>
      </div>
      <ErrorAlert error={save.error} fields={AGENT_FIELDS} />
      <div className="flex items-center gap-3">
        <Button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : mode === "create" ? "Create agent" : "Save changes"}
        </Button>
        {saved && (
          <p role="status" className="text-sm text-emerald-700" data-testid="agent-saved">
            Saved.
          </p>
        )}
      </div>
    </form>
  );
}
