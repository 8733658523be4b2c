"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { ErrorAlert } from "@/components/ui/error-alert";
import { RelativeTime } from "@/components/ui/relative-time";
import { TableWrap, tableClass, tdClass, thClass } from "@/components/ui/table";
import { formatUtc } from "@/components/ui/time";
import { apiFetch } from "@/lib/api/client";
import type { SigningKeyView } from "@/lib/tokens/key-history";

type Rotated = { kid: string; retired: string[]; retiredAt: string };

export function SigningKeySection({ keys }: { keys: SigningKeyView[] }) {
  const router = useRouter();
  const current = keys.find((k) => k.state === "signing");
  const [confirming, setConfirming] = useState(false);
  const [compromised, setCompromised] = useState(false);
  const rotate = useMutation({
    mutationFn: () => apiFetch<Rotated>("/api/v1/signing-keys/rotate", { method: "POST", body: { compromised } }),
    onSuccess: () => {
      setConfirming(false);
      setCompromised(false);
      router.refresh();
    },
  });
  return (
    <div className="space-y-3 text-sm">
      <p className="text-slate-800" data-testid="signing-key-current">
        {current ? (
          <>
            Signing with <span className="font-mono">{current.kid}</span>, made <RelativeTime iso={current.createdAt} testId="signing-key-age" /> ({formatUtc(current.createdAt)}).
          </>
        ) : (
          "No signing key yet: the first lease issued makes one."
        )}
      </p>
      {keys.length > 0 && (
        <TableWrap label="Signing key history">
          <table className={tableClass} data-testid="signing-key-history">
            <thead className="bg-slate-50">
              <tr>
                <th className={thClass}>Key id</th>
                <th className={thClass}>State</th>
                <th className={thClass}>Made</th>
                <th className={thClass}>Replaced</th>
                <th className={thClass}>Verifies lease tokens until</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {keys.map((k) => (
                <tr key={k.kid} data-testid="signing-key-row" data-state={k.state}>
                  <td className={`${tdClass} font-mono text-xs`}>{k.kid}</td>
                  <td className={tdClass}>{k.state === "signing" ? "signing" : k.state === "revoked" ? "revoked (compromised)" : "retired"}</td>
                  <td className={tdClass}>{formatUtc(k.createdAt)}</td>
                  <td className={tdClass}>{k.replacedAt ? formatUtc(k.replacedAt) : "—"}</td>
                  <td className={tdClass}>{k.state === "signing" ? "—" : k.state === "revoked" ? `refused since ${formatUtc(k.verifiesUntil)}` : formatUtc(k.verifiesUntil)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <p className="text-slate-700">
        New lease tokens are signed with the new key at once. Tokens signed with the previous key stay valid until they expire; then that key verifies no lease token (it stays published for the
        receipts and checkpoints it signed).
      </p>
      {confirming ? (
        <div className="space-y-2">
          <label className="flex items-start gap-2 text-slate-800">
            <input type="checkbox" className="mt-0.5" checked={compromised} onChange={(e) => setCompromised(e.target.checked)} data-testid="rotate-compromised" />
            <span>
              The previous key is compromised: <strong>refuse every token it signed, now</strong>, and stop publishing it. Running agents get <code>token_invalid</code> until they are given new
              leases.
            </span>
          </label>
          <div className="flex items-center gap-2">
            <Button variant="danger" disabled={rotate.isPending} onClick={() => rotate.mutate()} data-testid="rotate-confirm">
              {rotate.isPending ? "Rotating…" : compromised ? "Rotate and revoke now" : "Rotate now"}
            </Button>
            <Button variant="secondary" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
          </div>
        </div>
      ) : (
        <Button variant="secondary" onClick={() => setConfirming(true)} data-testid="rotate-signing-key">
          Rotate signing key…
        </Button>
      )}
      {rotate.data && (
        <p role="status" className="text-emerald-700" data-testid="rotated-kid">
          Rotated. New key id: <span className="font-mono">{rotate.data.kid}</span>. Previous keys verify no lease token after{" "}
          <span className="font-mono">{rotate.data.retiredAt.replace("T", " ").slice(0, 19)} UTC</span>.
        </p>
      )}
      <ErrorAlert error={rotate.error} />
    </div>
  );
}
