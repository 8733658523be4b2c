"use client";
import { startAuthentication, type PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/browser";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { ErrorAlert } from "@/components/ui/error-alert";
import { inputClass } from "@/components/ui/field";
import { apiFetch, ApiError } from "@/lib/api/client";

/** Proves presence for this session with the person's passkey (offered first when they have one) or their password. */

/** Thumb-sized on a phone (44 px), the usual size from md up: the prompt sits in the phone's vote bar. */
const TAP = "min-h-11 md:min-h-0";
export async function proveWithPasskey(): Promise<void> {
  const { options } = await apiFetch<{ options: PublicKeyCredentialRequestOptionsJSON }>("/api/v1/me/reauth/options", { method: "POST" });
  let response;
  try {
    response = await startAuthentication({ optionsJSON: options });
  } catch (err) {
    // The browser's own refusal (cancelled, timed out, no matching key): said as the browser says it.
    throw new ApiError(err instanceof Error && err.name === "NotAllowedError" ? "The passkey prompt was cancelled or timed out." : `The passkey could not be used: ${err instanceof Error ? err.message : "unknown error"}`, 0, "webauthn");
  }
  await apiFetch("/api/v1/me/reauth", { method: "POST", body: { method: "passkey", response } });
}

/**
 * Shown in place when an action needs a fresh proof that it is really this person (the API answered
 * 403 reauth_required): confirm, then `onProved` repeats the action. No page change.
 */
export function ReauthPrompt({ onProved, onCancel, action = "approve" }: { onProved: () => void; onCancel: () => void; action?: string }) {
  const status = useQuery({ queryKey: ["me", "reauth"], queryFn: () => apiFetch<{ passkeys: number }>("/api/v1/me/reauth"), staleTime: 0 });
  const [usePassword, setUsePassword] = useState(false);
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const hasPasskey = (status.data?.passkeys ?? 0) > 0;

  async function run(prove: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await prove();
      setPassword("");
      onProved();
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div role="group" aria-labelledby="reauth-title" data-testid="reauth-prompt" className="space-y-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950">
      <p id="reauth-title" className="font-medium">Confirm it is you to {action}</p>
      <p className="text-xs">High and critical requests need a fresh proof of presence (valid 5 minutes); the vote records which one you used.</p>
      {status.isPending ? (
        <p className="text-xs text-slate-600">Checking your passkeys…</p>
      ) : hasPasskey && !usePassword ? (
        <div className="flex flex-wrap items-center gap-2">
          <Button variant="primary" data-testid="reauth-passkey" className={TAP} disabled={busy} onClick={() => run(proveWithPasskey)}>
            {busy ? "Waiting for your passkey…" : "Use your passkey"}
          </Button>
          <Button variant="ghost" size="sm" data-testid="reauth-use-password" className={TAP} onClick={() => setUsePassword(true)}>
            Use your password instead
          </Button>
        </div>
      ) : (
        <div className="flex flex-wrap items-end gap-2">
          <label className="min-w-48 flex-1">
            <span className="block text-xs font-medium">Your password</span>
            <input
              type="password"
              autoComplete="current-password"
              data-testid="reauth-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter" && password) {
                  e.preventDefault();
                  void run(() => apiFetch("/api/v1/me/reauth", { method: "POST", body: { method: "password", password } }));
                }
              }}
              className={`${inputClass} ${TAP}`}
              autoFocus
            />
          </label>
          <Button variant="primary" data-testid="reauth-password-submit" className={TAP} disabled={busy || !password} onClick={() => run(() => apiFetch("/api/v1/me/reauth", { method: "POST", body: { method: "password", password } }))}>
            Confirm
          </Button>
          {hasPasskey && (
            <Button variant="ghost" size="sm" className={TAP} onClick={() => setUsePassword(false)}>
              Use your passkey
            </Button>
          )}
        </div>
      )}
      <ErrorAlert error={error} testId="reauth-error" />
      <Button variant="ghost" size="sm" data-testid="reauth-cancel" className={TAP} disabled={busy} onClick={onCancel}>
        Cancel
      </Button>
    </div>
  );
}
