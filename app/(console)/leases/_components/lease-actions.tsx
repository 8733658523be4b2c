"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { ErrorAlert } from "@/components/ui/error-alert";
import { Field, inputClass } from "@/components/ui/field";
import { apiFetch } from "@/lib/api/client";

export function RevokeLease({ leaseId, hasChildren }: { leaseId: string; hasChildren: boolean }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const revoke = useMutation({
    mutationFn: () => apiFetch<{ revoked: string[] }>(`/api/v1/leases/${leaseId}/revoke`, { method: "POST", body: { reason: reason.trim() } }),
    onSuccess: () => {
      setOpen(false);
      router.refresh();
    },
  });
  if (!open) {
    return (
      <Button variant="danger" data-testid="lease-revoke" onClick={() => setOpen(true)}>
        Revoke lease…
      </Button>
    );
  }
  return (
    <form
      aria-label="Revoke lease"
      data-testid="lease-revoke-form"
      className="space-y-3 rounded-md border border-rose-200 bg-rose-50 p-4"
      onSubmit={(e) => {
        e.preventDefault();
        if (reason.trim()) revoke.mutate();
      }}
    >
      <p className="text-sm font-medium text-rose-900">
        The run&apos;s next tool call will be denied{hasChildren ? ", and every subagent lease under this one is revoked with it" : ""}. This cannot be undone.
      </p>
      <Field label="Reason" hint="Required; recorded in the audit log.">
        <textarea name="reason" required autoFocus rows={2} maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} className={inputClass} />
      </Field>
      <ErrorAlert error={revoke.error} />
      <div className="flex gap-2">
        <Button type="submit" variant="danger" disabled={!reason.trim() || revoke.isPending} data-testid="lease-revoke-confirm">
          {revoke.isPending ? "Revoking…" : "Revoke now"}
        </Button>
        <Button variant="secondary" onClick={() => setOpen(false)}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

export function DecideLease({ leaseId }: { leaseId: string }) {
  const router = useRouter();
  const [reason, setReason] = useState("");
  const [missing, setMissing] = useState(false);
  const decide = useMutation({
    mutationFn: (verdict: "approve" | "deny") => apiFetch(`/api/v1/leases/${leaseId}/decision`, { method: "POST", body: { verdict, reason: reason.trim() } }),
    onSuccess: () => router.refresh(),
  });
  function submit(verdict: "approve" | "deny") {
    if (!reason.trim()) return setMissing(true);
    setMissing(false);
    decide.mutate(verdict);
  }
  return (
    <form aria-label="Decide lease request" data-testid="lease-decide-form" className="space-y-3" onSubmit={(e) => e.preventDefault()}>
      <Field label="Reason" hint="Required; the requester and the audit log see it." error={missing ? "Give a reason first." : undefined}>
        <textarea name="reason" rows={2} maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} className={inputClass} />
      </Field>
      <ErrorAlert error={decide.error} />
      <div className="flex gap-2">
        <Button variant="primary" disabled={decide.isPending} data-testid="lease-approve" onClick={() => submit("approve")}>
          Approve
        </Button>
        <Button variant="danger" disabled={decide.isPending} data-testid="lease-deny" onClick={() => submit("deny")}>
          Deny
        </Button>
      </div>
    </form>
  );
}
