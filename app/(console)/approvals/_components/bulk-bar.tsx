"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { forwardRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { ErrorAlert } from "@/components/ui/error-alert";
import { inputClass } from "@/components/ui/field";
import { apiFetch } from "@/lib/api/client";
import type { QueueItem } from "./prompt-text";

type Result = { id: string; ok: boolean; error?: { code: string; message: string } };
/** How the last bulk answer went: kept by the queue, so it outlives a re-render that remounts this bar. */
export type BulkOutcome = { voted: number; failed: Result[] };

/** What may be answered in bulk: pending low- and medium-risk requests (high and critical get one look each). */
export const bulkEligible = (i: Pick<QueueItem, "status" | "risk">) => i.status === "pending" && (i.risk === "low" || i.risk === "medium");

/**
 * One reason, one verdict, over the selected requests: POST /api/v1/escalations/bulk-vote, each still its
 * own vote. What could not be answered (settled meanwhile, refused) is listed, not hidden.
 */
export const BulkBar = forwardRef<HTMLInputElement, { picked: ReadonlySet<string>; outcome: BulkOutcome | null; onDone: (outcome: BulkOutcome, voted: string[]) => void; onClear: () => void }>(function BulkBar({ picked, outcome, onDone, onClear }, reasonRef) {
  const client = useQueryClient();
  const [reason, setReason] = useState("");
  const vote = useMutation({
    mutationFn: (verdict: "approve" | "deny") => apiFetch<{ results: Result[]; voted: number }>("/api/v1/escalations/bulk-vote", { method: "POST", body: { ids: [...picked], verdict, reason: reason.trim() } }),
    onSuccess: (res) => {
      setReason("");
      onDone({ voted: res.voted, failed: res.results.filter((r) => !r.ok) }, res.results.filter((r) => r.ok).map((r) => r.id));
      void client.invalidateQueries({ queryKey: ["escalations"] });
    },
  });
  const failed = outcome?.failed ?? [];
  // After an answer the bar stays to say how it went (the picked set is empty by then).
  if (picked.size === 0 && !outcome && !vote.error) return null;
  return (
    <div role="region" aria-label="Answer the selected requests" data-testid="bulk-bar" className="mb-3 space-y-2 rounded-lg border border-indigo-200 bg-indigo-50 p-3 text-sm">
      {picked.size > 0 && (
        <form
          className="flex flex-wrap items-center gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            if (reason.trim()) vote.mutate("deny");
          }}
        >
          <span data-testid="bulk-count" className="font-medium text-slate-800">
            {picked.size} selected
          </span>
          <input
            ref={reasonRef}
            aria-label="Reason for all selected requests"
            placeholder="One reason for all of them"
            data-testid="bulk-reason"
            value={reason}
            maxLength={1000}
            onChange={(e) => setReason(e.target.value)}
            className={`${inputClass} min-w-48 flex-1`}
          />
          <Button variant="secondary" disabled={!reason.trim() || vote.isPending} data-testid="bulk-approve" onClick={() => vote.mutate("approve")}>
            Approve {picked.size}
          </Button>
          <Button type="submit" variant="danger" disabled={!reason.trim() || vote.isPending} data-testid="bulk-deny">
            Deny {picked.size}
          </Button>
          <Button variant="secondary" onClick={onClear}>
            Clear
          </Button>
        </form>
      )}
      <ErrorAlert error={vote.error} />
      {outcome && (
        <p role="status" data-testid="bulk-result">
          {outcome.voted} answered{failed.length ? `, ${failed.length} not:` : "."}
        </p>
      )}
      {failed.length > 0 && (
        <ul className="list-disc pl-5 text-rose-800" data-testid="bulk-failed">
          {failed.map((f) => (
            <li key={f.id}>{f.error?.message ?? f.id}</li>
          ))}
        </ul>
      )}
    </div>
  );
});
