"use client";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { ErrorAlert } from "@/components/ui/error-alert";
import { apiFetch } from "@/lib/api/client";

export function SigningKeySection() {
  const [confirming, setConfirming] = useState(false);
  const rotate = useMutation({
    mutationFn: () => apiFetch<{ kid: string }>("/api/v1/signing-keys/rotate", { method: "POST", body: {} }),
    onSuccess: () => setConfirming(false),
  });
  return (
    <div className="space-y-3 text-sm">
      <p className="text-slate-700">New lease tokens are signed with the new key at once; tokens already issued stay verifiable until they expire.</p>
      {confirming ? (
        <div className="flex items-center gap-2">
          <Button variant="danger" disabled={rotate.isPending} onClick={() => rotate.mutate()} data-testid="rotate-confirm">
            {rotate.isPending ? "Rotating…" : "Rotate now"}
          </Button>
          <Button variant="secondary" onClick={() => setConfirming(false)}>
            Cancel
          </Button>
        </div>
      ) : (
        <Button variant="secondary" onClick={() => setConfirming(true)} data-testid="rotate-signing-key">
          Rotate signing key…
        </Button>
      )}
      {rotate.data && (
        <p role="status" className="text-emerald-700" data-testid="rotated-kid">
          Rotated. New key id: <span className="font-mono">{rotate.data.kid}</span>
        </p>
      )}
      <ErrorAlert error={rotate.error} />
    </div>
  );
}
