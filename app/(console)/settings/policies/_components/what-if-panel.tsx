"use client";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import type { AgentOption, PersonOption, ToolOption, WhatIfAnswer } from "./types";
import { StatusBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ErrorAlert } from "@/components/ui/error-alert";
import { Field, inputClass } from "@/components/ui/field";
import { apiFetch, type ApiError } from "@/lib/api/client";

/**
 * Fill in a call and see the answer it would get, under the published version or the draft in the
 * editor, and which policies decided it. Writes nothing (POST /api/v1/policies/what-if).
 */
export function WhatIfPanel({ draft, draftDiffers, tools, agents, people }: { draft: string; draftDiffers: boolean; tools: ToolOption[]; agents: AgentOption[]; people: PersonOption[] }) {
  const [agentId, setAgentId] = useState("");
  const [leaseId, setLeaseId] = useState("");
  const [delegatorId, setDelegatorId] = useState("");
  const [tool, setTool] = useState("");
  const [resourceType, setResourceType] = useState("");
  const [resourceId, setResourceId] = useState("");
  const [environment, setEnvironment] = useState("production");
  const [approved, setApproved] = useState(false);
  const [under, setUnder] = useState<"live" | "draft">("live");
  const ask = useMutation<WhatIfAnswer & { under: "live" | "draft" }, ApiError>({
    mutationFn: async () => {
      const call = {
        tool,
        ...(leaseId.trim() ? { leaseId: leaseId.trim() } : { agentId: agentId || undefined, delegatorId: delegatorId || undefined }),
        ...(resourceType.trim() && resourceId.trim() ? { resource: { type: resourceType.trim(), id: resourceId.trim() } } : {}),
        ...(environment.trim() ? { environment: environment.trim() } : {}),
        ...(approved ? { approved: true } : {}),
      };
      // A draft equal to the live text is asked as the live version (its answer names the version).
      const asDraft = under === "draft" && draftDiffers;
      const answer = await apiFetch<WhatIfAnswer>("/api/v1/policies/what-if", { method: "POST", body: { call, ...(asDraft ? { text: draft } : {}) } });
      return { ...answer, under: asDraft ? "draft" : "live" };
    },
  });
  const r = ask.data;
  return (
    <form
      aria-label="What if"
      data-testid="what-if"
      onSubmit={(e) => {
        e.preventDefault();
        ask.mutate();
      }}
    >
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
        <Field label="Agent" hint="Without a lease: policy only, for this agent.">
          <select value={agentId} onChange={(e) => setAgentId(e.target.value)} className={inputClass} disabled={!!leaseId.trim()}>
            <option value="">choose an agent</option>
            {agents.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Lease id" hint="Optional: the lease's own rules apply first, with its agent and delegator.">
          <input value={leaseId} onChange={(e) => setLeaseId(e.target.value)} className={`${inputClass} font-mono`} placeholder="lse_…" autoComplete="off" spellCheck={false} />
        </Field>
        <Field label="Delegator" hint="Without a lease: the person the agent acts for.">
          <select value={delegatorId} onChange={(e) => setDelegatorId(e.target.value)} className={inputClass} disabled={!!leaseId.trim()}>
            <option value="">nobody</option>
            {people.map((p) => (
              <option key={p.id} value={p.id}>
                {p.email}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Tool">
          <select value={tool} onChange={(e) => setTool(e.target.value)} className={`${inputClass} font-mono`} required>
            <option value="">choose a catalog tool</option>
            {tools.map((t) => (
              <option key={t.name} value={t.name}>
                {t.name} ({t.risk})
              </option>
            ))}
          </select>
        </Field>
        <Field label="Resource type" hint="With an id; both empty: no resource.">
          <input value={resourceType} onChange={(e) => setResourceType(e.target.value)} className={`${inputClass} font-mono`} placeholder="branch" autoComplete="off" spellCheck={false} />
        </Field>
        <Field label="Resource id">
          <input value={resourceId} onChange={(e) => setResourceId(e.target.value)} className={`${inputClass} font-mono`} placeholder="main" autoComplete="off" spellCheck={false} />
        </Field>
        <Field label="Environment">
          <input value={environment} onChange={(e) => setEnvironment(e.target.value)} className={`${inputClass} font-mono`} autoComplete="off" spellCheck={false} />
        </Field>
        <fieldset className="text-sm">
          <legend className="font-medium text-slate-800">Evaluate under</legend>
          <label className="mt-2 flex items-center gap-2">
            <input type="radio" name="what-if-under" value="live" checked={under === "live"} onChange={() => setUnder("live")} /> the published version
          </label>
          <label className="mt-1 flex items-center gap-2">
            <input type="radio" name="what-if-under" value="draft" checked={under === "draft"} onChange={() => setUnder("draft")} disabled={!draftDiffers} /> the draft in the editor
          </label>
        </fieldset>
        <label className="flex items-center gap-2 self-end text-sm">
          <input type="checkbox" checked={approved} onChange={(e) => setApproved(e.target.checked)} /> an approval is presented
        </label>
      </div>
      <div className="mt-3 flex items-center gap-3">
        <Button type="submit" variant="secondary" disabled={ask.isPending || !tool || (!leaseId.trim() && !agentId)} data-testid="what-if-ask">
          {ask.isPending ? "Asking…" : "Ask"}
        </Button>
        {!leaseId.trim() && !agentId && <span className="text-xs text-slate-500">Name an agent or a lease.</span>}
      </div>
      <div className="mt-3">
        <ErrorAlert error={ask.error} testId="what-if-error" />
      </div>
      <div aria-live="polite">
        {r && !ask.isPending && (
          <div className="mt-3 rounded-md border border-slate-200 p-3 text-sm" data-testid="what-if-result" data-decision={r.decision} data-determined-by={r.policy.determinedBy.join(" ")}>
            <p className="flex flex-wrap items-center gap-2">
              <StatusBadge status={r.decision} testId="what-if-decision" />
              <span className="text-slate-600">
                under {r.policy.draft ? "the draft" : `published version ${r.policy.version ?? "—"}`}
                {r.leaseOutcome && r.leaseOutcome !== r.decision ? ` (the lease alone: ${r.leaseOutcome})` : ""}
              </span>
            </p>
            <p className="mt-2">
              Decided by:{" "}
              {r.policy.determinedBy.length ? (
                r.policy.determinedBy.map((id) => (
                  <code key={id} className="mr-1 rounded bg-slate-100 px-1 font-mono text-xs" data-testid="what-if-policy-id">
                    {id}
                  </code>
                ))
              ) : (
                <span className="text-slate-500">no policy (nothing forbids it)</span>
              )}
            </p>
            {r.reasons.length > 0 && (
              <ul className="mt-2 list-disc pl-5" data-testid="what-if-reasons">
                {r.reasons.map((x, i) => (
                  <li key={i}>
                    <span className="font-mono text-xs">{x.code}</span>: {x.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
      </div>
    </form>
  );
}
