"use client";
import { startRegistration, type PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/browser";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { ErrorAlert } from "@/components/ui/error-alert";
import { inputClass } from "@/components/ui/field";
import { ReauthPrompt } from "@/components/presence/reauth-prompt";
import { formatUtc } from "@/components/ui/time";
import { ApiError, apiFetch } from "@/lib/api/client";
import type { PasskeyView } from "@/lib/presence/schemas";

/** Register, name and remove one's own passkeys; every change is audited server-side. */
export function PasskeysSection({ initial }: { initial: PasskeyView[] }) {
  const router = useRouter();
  const [passkeys, setPasskeys] = useState(initial);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [editing, setEditing] = useState<{ id: string; name: string } | null>(null);
  // Adding a passkey needs a fresh proof (password or an existing key) when the person has one: asked in place.
  const [needProof, setNeedProof] = useState<{ action: string; retry: () => void } | null>(null);

  async function act(what: string, fn: () => Promise<void>) {
    setBusy(what);
    setError(null);
    try {
      await fn();
      router.refresh();
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setBusy(null);
    }
  }

  const register = () =>
    act("register", async () => {
      let options: PublicKeyCredentialCreationOptionsJSON;
      try {
        ({ options } = await apiFetch<{ options: PublicKeyCredentialCreationOptionsJSON }>("/api/v1/me/passkeys/options", { method: "POST" }));
      } catch (err) {
        if (err instanceof ApiError && err.code === "reauth_required") return setNeedProof({ action: "add a passkey", retry: () => void register() });
        throw err;
      }
      let response;
      try {
        response = await startRegistration({ optionsJSON: options });
      } catch (err) {
        throw new ApiError(err instanceof Error && err.name === "NotAllowedError" ? "The passkey prompt was cancelled or timed out." : `The passkey could not be made: ${err instanceof Error ? err.message : "unknown error"}`, 0, "webauthn");
      }
      const { passkey } = await apiFetch<{ passkey: PasskeyView }>("/api/v1/me/passkeys", { method: "POST", body: { name: name.trim() || "Passkey", response } });
      setPasskeys((p) => [...p, passkey]);
      setName("");
    });

  return (
    <Card title="Passkeys" testId="passkeys">
      {passkeys.length === 0 ? (
        <p className="text-sm text-slate-600" data-testid="passkeys-empty">
          No passkey yet: risky approvals will ask for your password.
        </p>
      ) : (
        <ul className="divide-y divide-slate-200 text-sm" data-testid="passkey-list">
          {passkeys.map((p) => (
            <li key={p.id} data-testid="passkey" className="flex flex-wrap items-center gap-3 py-2">
              {editing?.id === p.id ? (
                <form
                  className="flex flex-1 gap-2"
                  onSubmit={(e) => {
                    e.preventDefault();
                    void act(`rename-${p.id}`, async () => {
                      const { passkey } = await apiFetch<{ passkey: PasskeyView }>(`/api/v1/me/passkeys/${p.id}`, { method: "PATCH", body: { name: editing.name } });
                      setPasskeys((all) => all.map((x) => (x.id === p.id ? passkey : x)));
                      setEditing(null);
                    });
                  }}
                >
                  <input aria-label="Passkey name" maxLength={80} value={editing.name} onChange={(e) => setEditing({ id: p.id, name: e.target.value })} className={inputClass} autoFocus />
                  <Button type="submit" size="sm" disabled={busy !== null || !editing.name.trim()}>
                    Save
                  </Button>
                  <Button variant="ghost" size="sm" onClick={() => setEditing(null)}>
                    Cancel
                  </Button>
                </form>
              ) : (
                <>
                  <div className="min-w-0 flex-1">
                    <div className="font-medium" data-testid="passkey-name">
                      {p.name}
                    </div>
                    <div className="text-xs text-slate-500">
                      Added {formatUtc(p.createdAt)} · {p.lastUsedAt ? `last used ${formatUtc(p.lastUsedAt)}` : "never used"}
                    </div>
                  </div>
                  <Button variant="ghost" size="sm" onClick={() => setEditing({ id: p.id, name: p.name })}>
                    Rename
                  </Button>
                  <Button
                    variant="danger"
                    size="sm"
                    data-testid="passkey-remove"
                    disabled={busy !== null}
                    onClick={() => {
                      if (!window.confirm(`Remove the passkey “${p.name}”?`)) return;
                      const remove = (): Promise<void> =>
                        act(`remove-${p.id}`, async () => {
                          try {
                            await apiFetch(`/api/v1/me/passkeys/${p.id}`, { method: "DELETE" });
                          } catch (err) {
                            if (err instanceof ApiError && err.code === "reauth_required") return setNeedProof({ action: `remove “${p.name}”`, retry: () => void remove() });
                            throw err;
                          }
                          setPasskeys((all) => all.filter((x) => x.id !== p.id));
                        });
                      void remove();
                    }}
                  >
                    Remove
                  </Button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <form
        className="mt-4 flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          void register();
        }}
      >
        <label className="min-w-48 flex-1 text-sm">
          <span className="block font-medium text-slate-800">Name for a new passkey</span>
          <input data-testid="passkey-new-name" maxLength={80} placeholder="e.g. work laptop" value={name} onChange={(e) => setName(e.target.value)} className={inputClass} />
        </label>
        <Button type="submit" data-testid="passkey-add" disabled={busy !== null}>
          {busy === "register" ? "Waiting for your device…" : "Add a passkey"}
        </Button>
      </form>
      {needProof && (
        <div className="mt-3">
          <ReauthPrompt
            action={needProof.action}
            onProved={() => {
              setNeedProof(null);
              needProof.retry();
            }}
            onCancel={() => setNeedProof(null)}
          />
        </div>
      )}
      <div className="mt-3">
        <ErrorAlert error={error} testId="passkey-error" />
      </div>
    </Card>
  );
}
