"use client";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { ErrorAlert } from "@/components/ui/error-alert";
import { Field, inputClass } from "@/components/ui/field";
import { apiFetch } from "@/lib/api/client";

/** Ask for a later expiry and/or a larger budget: an `extension` request that approvers decide like any other. */
export function ExtendLease({ leaseId, maxToolCalls }: { leaseId: string; maxToolCalls: number }) {
  const [open, setOpen] = useState(false);
  const [minutes, setMinutes] = useState("");
  const [calls, setCalls] = useState("");
  const [justification, setJustification] = useState("");
  const extend = useMutation({
    mutationFn: () =>
      apiFetch<{ escalation: { id: string } }>(`/api/v1/leases/${leaseId}/extend`, {
        method: "POST",
        body: { ...(minutes ? { expiresIn: Math.round(Number(minutes) * 60) } : {}), ...(calls ? { maxToolCalls: Number(calls) } : {}), justification: justification.trim() },
      }),
  });
  if (extend.data) {
    return (
      <p className="text-sm text-slate-700" data-testid="lease-extend-sent" role="status">
        Asked: waiting for an approver.{" "}
        <Link href="/approvals" className="text-indigo-700 hover:underline">
          See the request
        </Link>
      </p>
    );
  }
  if (!open) {
    return (
      <Button variant="secondary" data-testid="lease-extend" onClick={() => setOpen(true)}>
        Extend…
      </Button>
    );
  }
  return (
    <form
      aria-label="Extend lease"
      data-testid="lease-extend-form"
      className="space-y-3"
      onSubmit={(e) => {
        e.preventDefault();
        extend.mutate();
      }}
    >
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="New time left (minutes from now)" hint="Blank: keep the expiry. Within the agent's longest lease, counted from issue.">
          <input type="number" min={1} name="minutes" value={minutes} onChange={(e) => setMinutes(e.target.value)} className={inputClass} data-testid="lease-extend-minutes" />
        </Field>
        <Field label="New call budget" hint={`Blank: keep ${maxToolCalls}.`}>
          <input type="number" min={maxToolCalls + 1} name="maxToolCalls" value={calls} onChange={(e) => setCalls(e.target.value)} className={inputClass} data-testid="lease-extend-calls" />
        </Field>
      </div>
      <Field label="Why" hint="Shown to the approver.">
        <textarea name="justification" required rows={2} maxLength={2000} value={justification} onChange={(e) => setJustification(e.target.value)} className={inputClass} data-testid="lease-extend-why" />
      </Field>
      <ErrorAlert error={extend.error} />
      <div className="flex gap-2">
        <Button type="submit" disabled={(!minutes && !calls) || justification.trim().length < 3 || extend.isPending} data-testid="lease-extend-submit">
          {extend.isPending ? "Asking…" : "Ask to extend"}
        </Button>
        <Button variant="secondary" onClick={() => setOpen(false)}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
