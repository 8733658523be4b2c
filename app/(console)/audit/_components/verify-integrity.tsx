"use client";
import { useMutation } from "@tanstack/react-query";
import { Button } from "@/components/ui/button";
import { ErrorAlert } from "@/components/ui/error-alert";
import { apiFetch } from "@/lib/api/client";
import type { VerifyResult } from "@/lib/audit/verify";

/** Recomputes the hash chain on the server (GET /api/v1/audit/verify) and says plainly whether it holds. */
export function useVerifyIntegrity() {
  return useMutation({ mutationFn: () => apiFetch<VerifyResult>("/api/v1/audit/verify") });
}

export function VerifyButton({ verify }: { verify: ReturnType<typeof useVerifyIntegrity> }) {
  return (
    <Button variant="secondary" size="sm" onClick={() => verify.mutate()} disabled={verify.isPending} data-testid="verify-integrity" aria-describedby="verify-result">
      {verify.isPending ? "Verifying…" : "Verify integrity"}
    </Button>
  );
}

export function VerifyResultPanel({ verify }: { verify: ReturnType<typeof useVerifyIntegrity> }) {
  if (verify.error) return <ErrorAlert error={verify.error} testId="verify-error" />;
  const r = verify.data;
  if (!r) return null;
  return (
    <div
      id="verify-result"
      role="status"
      data-testid="verify-result"
      data-ok={String(r.ok)}
      className={`mb-4 flex items-start gap-3 rounded-lg border px-4 py-3 text-sm ${r.ok ? "border-emerald-300 bg-emerald-50 text-emerald-900" : "border-rose-300 bg-rose-50 text-rose-900"}`}
    >
      <span aria-hidden className={`mt-0.5 grid size-6 shrink-0 place-items-center rounded-full text-white ${r.ok ? "bg-emerald-600" : "bg-rose-600"}`}>
        {r.ok ? "✓" : "!"}
      </span>
      <div className="min-w-0">
        <p className="font-semibold">
          {r.ok ? "Chain intact" : `Chain broken at event #${r.firstBrokenSeq}`} · {r.checked.toLocaleString("en")} events checked
        </p>
        <p className="mt-0.5 break-words">{r.detail}</p>
        <dl className="mt-1 flex flex-wrap gap-x-4 font-mono text-xs opacity-80">
          <div>
            <dt className="inline">ok: </dt>
            <dd className="inline">{String(r.ok)}</dd>
          </div>
          <div>
            <dt className="inline">checked: </dt>
            <dd className="inline">{r.checked}</dd>
          </div>
          <div>
            <dt className="inline">firstBrokenSeq: </dt>
            <dd className="inline">{r.firstBrokenSeq ?? "null"}</dd>
          </div>
          {r.unsealed > 0 && (
            <div>
              <dt className="inline">not yet sealed: </dt>
              <dd className="inline">{r.unsealed}</dd>
            </div>
          )}
        </dl>
      </div>
    </div>
  );
}
