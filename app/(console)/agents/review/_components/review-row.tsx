"use client";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ErrorAlert } from "@/components/ui/error-alert";
import { Field, inputClass } from "@/components/ui/field";
import { apiFetch } from "@/lib/api/client";
import type { AgentReview } from "@/lib/review/queries";

/** One agent's review: unused tools preselected for removal; the change goes through PATCH /api/v1/agents/{id}, so every invariant of that path holds. */
export function ReviewRow({ review, limits }: { review: AgentReview; limits: { maxExpiresIn: number; maxToolCalls: number } }) {
  const router = useRouter();
  const [remove, setRemove] = useState<Set<string>>(() => new Set(review.tools.filter((t) => t.unused90).map((t) => t.tool)));
  const [reason, setReason] = useState("access review: unused for 90 days");
  const keep = review.tools.map((t) => t.tool).filter((t) => !remove.has(t));
  const patch = useMutation({
    mutationFn: (body: Record<string, unknown>) => apiFetch(`/api/v1/agents/${review.id}`, { method: "PATCH", body: { ...body, reason: reason.trim() } }),
    onSuccess: () => router.refresh(),
  });
  const toggle = (tool: string) =>
    setRemove((s) => {
      const n = new Set(s);
      if (n.has(tool)) n.delete(tool);
      else n.add(tool);
      return n;
    });

  return (
    <li className="rounded-lg border border-slate-200 bg-white p-4" data-testid="review-agent" data-agent={review.name}>
      <div className="flex flex-wrap items-center gap-2">
        <Link href={`/agents/${review.id}`} className="font-medium text-indigo-700 hover:underline">
          {review.name}
        </Link>
        {review.status !== "active" && <Badge tone="amber">{review.status}</Badge>}
        {review.ownerless && (
          <Badge tone="red" testId="review-ownerless">
            {review.owner ? `owner ${review.owner.email} is ${review.owner.status}` : "no owner"}
          </Badge>
        )}
      </div>
      <fieldset className="mt-3">
        <legend className="text-sm text-slate-600">Ceiling tools — checked ones are removed</legend>
        <ul className="mt-1 grid gap-1 sm:grid-cols-2">
          {review.tools.map((t) => (
            <li key={t.tool}>
              <label className="flex items-center gap-2 text-sm">
                <input type="checkbox" checked={remove.has(t.tool)} onChange={() => toggle(t.tool)} data-testid={`review-remove-${t.tool}`} />
                <span className="font-mono">{t.tool}</span>
                <span className="text-xs text-slate-500">
                  {t.unused90 ? "unused for 90 days" : t.unused30 ? "unused for 30 days" : `last used ${new Date(t.lastAllowedAt!).toLocaleDateString()}`}
                </span>
              </label>
            </li>
          ))}
        </ul>
      </fieldset>
      {review.unusedGrants.length > 0 && (
        <p className="mt-2 text-sm text-slate-600" data-testid="review-unused-grants">
          Live grants never used:{" "}
          {review.unusedGrants.map((g, i) => (
            <span key={`${g.leaseId}-${g.tool}`}>
              {i > 0 && ", "}
              <Link href={`/leases/${g.leaseId}`} className="font-mono text-indigo-700 hover:underline">
                {g.tool}
              </Link>
            </span>
          ))}
        </p>
      )}
      <div className="mt-3 flex flex-wrap items-end gap-2">
        <Field label="Reason" hint="Recorded in the audit log.">
          <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} className={inputClass} data-testid="review-reason" />
        </Field>
        <Button
          disabled={remove.size === 0 || keep.length === review.tools.length || !reason.trim() || patch.isPending}
          data-testid="review-shrink"
          onClick={() => patch.mutate({ ceiling: { tools: keep, ...limits } })}
        >
          Remove {remove.size} from ceiling
        </Button>
        <Button variant="danger" disabled={!reason.trim() || patch.isPending} data-testid="review-retire" onClick={() => window.confirm(`Retire ${review.name}? Its live leases are revoked and it can never be reactivated.`) && patch.mutate({ status: "retired" })}>
          Retire
        </Button>
      </div>
      <ErrorAlert error={patch.error} />
    </li>
  );
}
