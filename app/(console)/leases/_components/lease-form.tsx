"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { DenyPicker } from "./deny-picker";
import { GrantPicker } from "./grant-picker";
import { ISSUED_TOKEN_KEY, draftIntent, preview, toRequest, type AgentOption, type LeaseDraft } from "./lease-draft";
import { PermissionPreview } from "./permission-preview";
import { Button } from "@/components/ui/button";
import { ErrorAlert } from "@/components/ui/error-alert";
import { Field, inputClass } from "@/components/ui/field";
import { MINUTES, formErrors, type FormSpec } from "@/lib/schemas/form-errors";
import { ApiError, apiFetch, localIssues } from "@/lib/api/client";
import { LeaseRequest, type LeaseView } from "@/lib/leases/schemas";
import type { ToolView } from "@/lib/tools/schemas";
import type { DelegableTool } from "@/lib/entitlements/delegable";

// The form's fields by the API path each sends: its issues are said at the field, in minutes for the expiry.
const LEASE_FIELDS: FormSpec = {
  agentId: { label: "Agent", required: "choose an agent", format: "choose an agent" },
  environment: { label: "Environment", required: "choose an environment", format: "choose an environment" },
  purpose: { label: "Purpose", required: "say what this run is for" },
  taskRef: { label: "Task reference" },
  intent: { label: "Intent" },
  grants: { label: "Tools", items: ["tool", "tools"] },
  expiresIn: { label: "Expires in (minutes)", unit: MINUTES, required: "say how many minutes" },
  maxToolCalls: { label: "Call budget", required: "say how many calls" },
  maxDelegationDepth: { label: "Delegation depth" },
};

function emptyDraft(agent: AgentOption | undefined): LeaseDraft {
  return { agentId: agent?.id ?? "", purpose: "", taskRef: "", intentText: "", environment: agent?.environments[0] ?? "", grants: {}, deny: [], expiresMinutes: "30", maxToolCalls: "30", maxDelegationDepth: "0" };
}

/** Why the signed-in person may not delegate `tool` in `environment` (null: they may). */
function notEntitled(d: DelegableTool | undefined, environment: string): string | null {
  if (!d || d.missing) return `not in your entitlements${d?.missing ? ` (${d.missing})` : ""}`;
  if (d.environments !== "*" && !d.environments.includes(environment)) return `not in your entitlements in ${environment || "this environment"} (only ${d.environments.join(", ")})`;
  return null;
}

export function LeaseForm({ agents, tools, isAdmin, initialAgentId, delegable }: { agents: AgentOption[]; tools: ToolView[]; isAdmin: boolean; initialAgentId?: string; delegable?: DelegableTool[] }) {
  const router = useRouter();
  const [draft, setDraft] = useState<LeaseDraft>(() => emptyDraft(agents.find((a) => a.id === initialAgentId)));
  const agent = agents.find((a) => a.id === draft.agentId);
  const catalog = useMemo(() => new Map(tools.map((t) => [t.name, t])), [tools]);
  // Offered: the agent's ceiling ∩ what this person may delegate here; every other tool says which of the two it lacks.
  const entitled = useMemo(() => new Map((delegable ?? []).map((d) => [d.tool, d])), [delegable]);
  const why = (t: ToolView) => {
    const person = delegable ? notEntitled(entitled.get(t.name), draft.environment) : null;
    const ceiling = agent && !agent.ceiling.tools.includes(t.name) ? "not in the agent's ceiling" : null;
    return person && ceiling ? `${person}; also ${ceiling}` : (person ?? ceiling);
  };
  const ceilingTools = agent ? tools.filter((t) => !why(t)) : [];
  const unavailable = agent ? tools.filter((t) => why(t)).map((t) => ({ name: t.name, reason: why(t)! })) : [];
  const p = preview(draft, agent, catalog, isAdmin);
  const update = (patch: Partial<LeaseDraft>) => setDraft((d) => ({ ...d, ...patch }));

  const issue = useMutation({
    mutationFn: async () => {
      const intentError = draftIntent(draft.intentText).error;
      if (intentError) throw localIssues([{ path: ["intent"], message: intentError }]);
      const body = LeaseRequest.safeParse(toRequest(draft));
      if (!body.success) throw localIssues(body.error.issues);
      return apiFetch<{ lease: LeaseView; leaseToken: string }>("/api/v1/leases", { method: "POST", body: body.data });
    },
    onSuccess: ({ lease, leaseToken }) => {
      // The token is never stored server-side in plaintext form for display; hand it to the lease page once.
      try {
        sessionStorage.setItem(ISSUED_TOKEN_KEY(lease.id), leaseToken);
      } catch {
        /* storage can be disabled; the lease page then simply does not show the token */
      }
      router.push(`/leases/${lease.id}?issued=1`);
    },
  });
  const issueFor = formErrors(issue.error instanceof ApiError ? issue.error : null, LEASE_FIELDS).field;

  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_24rem]">
      <form
        noValidate
        aria-label="Issue lease"
        data-testid="lease-form"
        className="space-y-5 rounded-lg border border-slate-200 bg-white p-5 shadow-xs"
        onSubmit={(e) => {
          e.preventDefault();
          issue.mutate();
        }}
      >
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Agent" error={issueFor("agentId")}>
            <select
              name="agentId"
              value={draft.agentId}
              onChange={(e) => setDraft({ ...emptyDraft(agents.find((a) => a.id === e.target.value)), purpose: draft.purpose, taskRef: draft.taskRef, intentText: draft.intentText })}
              className={inputClass}
            >
              <option value="">Choose an agent…</option>
              {agents.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Environment" error={issueFor("environment")}>
            <select name="environment" value={draft.environment} onChange={(e) => update({ environment: e.target.value })} className={inputClass} disabled={!agent}>
              {!agent && <option value="">Choose an agent first</option>}
              {agent?.environments.map((env) => (
                <option key={env} value={env}>
                  {env}
                </option>
              ))}
            </select>
          </Field>
        </div>
        {agent && (
          <p className="rounded-md bg-slate-50 px-3 py-2 text-xs text-slate-600" data-testid="agent-ceiling-summary">
            Ceiling of <span className="font-mono">{agent.name}</span>: {agent.ceiling.tools.length} tools, at most {Math.floor(agent.ceiling.maxExpiresIn / 60)} min and {agent.ceiling.maxToolCalls} calls per lease.
          </p>
        )}
        <Field label="Purpose" hint="What this run is for, in one sentence. People approving it read this." error={issueFor("purpose")}>
          <input name="purpose" value={draft.purpose} onChange={(e) => update({ purpose: e.target.value })} maxLength={500} className={inputClass} placeholder="update dependency and open PR" />
        </Field>
        <Field label="Task reference" hint="Optional: a ticket or issue link." error={issueFor("taskRef")}>
          <input name="taskRef" value={draft.taskRef} onChange={(e) => update({ taskRef: e.target.value })} className={inputClass} placeholder="https://tracker.example/T-1042" />
        </Field>
        <Field
          label="Intent"
          hint="Optional: what the task touches, as a spec's front matter (or paste the spec). Calls off it are flagged or, for agents in enforce mode, wait for a person."
          error={issueFor("intent")}
        >
          <textarea
            name="intent"
            value={draft.intentText}
            onChange={(e) => update({ intentText: e.target.value })}
            rows={3}
            className={`${inputClass} font-mono text-xs`}
            placeholder={"resources: [customers/acme/]\ntools: [crm.read]\nexpectedCalls: 20"}
          />
        </Field>
        {agent ? <GrantPicker tools={ceilingTools} grants={draft.grants} onChange={(grants) => update({ grants })} error={issueFor("grants")} unavailable={unavailable} /> : <p className="text-sm text-slate-600">Choose an agent to see the tools its ceiling allows.</p>}
        <DenyPicker tools={tools.filter((t) => !draft.grants[t.name])} deny={draft.deny} onChange={(deny) => update({ deny })} />
        <div className="grid gap-4 sm:grid-cols-3">
          <Field label="Expires in (minutes)" error={issueFor("expiresIn")}>
            <input name="expiresMinutes" type="number" inputMode="numeric" min={1} value={draft.expiresMinutes} onChange={(e) => update({ expiresMinutes: e.target.value })} className={inputClass} />
          </Field>
          <Field label="Call budget" error={issueFor("maxToolCalls")}>
            <input name="maxToolCalls" type="number" inputMode="numeric" min={1} value={draft.maxToolCalls} onChange={(e) => update({ maxToolCalls: e.target.value })} className={inputClass} />
          </Field>
          <Field label="Delegation depth" hint="levels of subagent leases; 0 = none" error={issueFor("maxDelegationDepth")}>
            <input name="maxDelegationDepth" type="number" inputMode="numeric" min={0} max={5} value={draft.maxDelegationDepth} onChange={(e) => update({ maxDelegationDepth: e.target.value })} className={inputClass} />
          </Field>
        </div>
        <ErrorAlert error={issue.error} fields={LEASE_FIELDS} />
        <Button type="submit" disabled={issue.isPending} data-testid="lease-submit">
          {issue.isPending ? "Issuing…" : p.pendingBecause ? "Request lease (needs approval)" : "Issue lease"}
        </Button>
      </form>
      <div className="lg:sticky lg:top-6 lg:self-start">
        <PermissionPreview draft={draft} agent={agent} p={p} />
      </div>
    </div>
  );
}
