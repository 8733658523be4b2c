"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { ErrorAlert } from "@/components/ui/error-alert";
import { Field, inputClass } from "@/components/ui/field";
import type { AgentView } from "@/lib/agents/schemas";
import { apiFetch } from "@/lib/api/client";

type Target = "suspended" | "active" | "retired";
const ACTION = {
  suspended: { verb: "Suspend", variant: "danger" as const, warning: "Suspending revokes every live lease of this agent (and its subagents' leases) at once. No new lease can be issued until it is reactivated." },
  retired: { verb: "Retire", variant: "danger" as const, warning: "Retiring is permanent: it revokes every live lease of this agent and it can never be reactivated." },
  active: { verb: "Reactivate", variant: "primary" as const, warning: "Reactivating lets people issue new leases to this agent again. Revoked leases stay revoked." },
};

export function AgentStatusActions({ agent }: { agent: AgentView }) {
  const router = useRouter();
  const [target, setTarget] = useState<Target | null>(null);
  const [reason, setReason] = useState("");
  const change = useMutation({
    mutationFn: (status: Target) => apiFetch<{ agent: AgentView }>(`/api/v1/agents/${agent.id}`, { method: "PATCH", body: { status, reason: reason.trim() } }),
    onSuccess: () => {
      setTarget(null);
      setReason("");
      router.refresh();
    },
  });

  if (agent.status === "retired") return <p className="text-sm text-slate-600">This agent is retired; register a new agent if it is needed again.</p>;
  const options: Target[] = agent.status === "active" ? ["suspended", "retired"] : ["active", "retired"];

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap gap-2">
        {options.map((t) => (
          <Button
            key={t}
            variant={t === "active" ? "primary" : "secondary"}
            data-testid={`agent-action-${ACTION[t].verb.toLowerCase()}`}
            aria-expanded={target === t}
            onClick={() => {
              change.reset();
              setTarget(target === t ? null : t);
            }}
          >
            {ACTION[t].verb}…
          </Button>
        ))}
      </div>
      {target && (
        <form
          data-testid="agent-status-confirm"
          aria-label={`${ACTION[target].verb} ${agent.name}`}
          className="space-y-3 rounded-md border border-amber-300 bg-amber-50 p-4"
          onSubmit={(e) => {
            e.preventDefault();
            if (reason.trim()) change.mutate(target);
          }}
        >
          <p className="text-sm font-medium text-amber-950" data-testid="agent-status-warning">
            {ACTION[target].warning}
          </p>
          <Field label="Reason" hint="Recorded in the audit log.">
            <textarea name="reason" required autoFocus rows={2} maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} className={inputClass} />
          </Field>
          <ErrorAlert error={change.error} />
          <div className="flex gap-2">
            <Button type="submit" variant={ACTION[target].variant} disabled={!reason.trim() || change.isPending} data-testid="agent-status-confirm-button">
              {change.isPending ? "Working…" : `${ACTION[target].verb} ${agent.name}`}
            </Button>
            <Button variant="secondary" onClick={() => setTarget(null)}>
              Cancel
            </Button>
          </div>
        </form>
      )}
    </div>
  );
}
