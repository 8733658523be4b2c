"use client";
import { useMutation } from "@tanstack/react-query";
import { CheckboxGroup } from "@/components/ui/checkbox-group";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { CopyBox } from "@/components/ui/copy-box";
import { EmptyState } from "@/components/ui/empty-state";
import { ErrorAlert } from "@/components/ui/error-alert";
import { Field, inputClass } from "@/components/ui/field";
import { pinEndTd, pinEndTh, pinStartTd, pinStartTh, tableClass, TableWrap, tdClass, thClass } from "@/components/ui/table";
import { formatUtc } from "@/components/ui/time";
import { apiFetch } from "@/lib/api/client";
import { formErrors, type FormSpec } from "@/lib/schemas/form-errors";

const EP_FIELDS: FormSpec = {
  name: { label: "Enforcement point name", required: "give it a name" },
  scopes: { label: "Scopes", items: ["scope", "scopes"] },
};

type Ep = { id: string; name: string; keyPrefix: string; scopes: string[]; createdAt: string; revokedAt: string | null; lastUsedAt: string | null };

export function EnforcementPointsSection({ points, scopes }: { points: Ep[]; scopes: readonly string[] }) {
  return (
    <div className="space-y-4">
      {points.length ? (
        <TableWrap label="Enforcement points">
          <table className={tableClass} data-testid="enforcement-points-table">
            <thead className="bg-slate-50">
              <tr>
                <th className={`${thClass} ${pinStartTh}`}>Name</th>
                <th className={thClass}>Key</th>
                <th className={thClass}>Scopes</th>
                <th className={thClass}>Last used</th>
                <th className={`${thClass} ${pinEndTh}`}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {points.map((p) => (
                <EpRow key={p.id} ep={p} />
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : (
        <EmptyState title="No enforcement points yet">Create a key for each gateway, CI runner or SDK that asks Lanyard before tool calls.</EmptyState>
      )}
      <CreateEp scopes={scopes} />
    </div>
  );
}

function EpRow({ ep }: { ep: Ep }) {
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  const revoke = useMutation({
    mutationFn: () => apiFetch(`/api/v1/enforcement-points/${ep.id}`, { method: "DELETE" }),
    onSuccess: () => {
      setConfirming(false);
      router.refresh();
    },
  });
  return (
    <tr data-testid="enforcement-point-row" data-name={ep.name}>
      <td className={`${tdClass} ${pinStartTd} font-medium`}>{ep.name}</td>
      <td className={`${tdClass} font-mono text-xs`}>{ep.keyPrefix}</td>
      <td className={`${tdClass} min-w-48 max-w-md`}>
        <div className="flex flex-wrap gap-1">
          {ep.scopes.map((s) => (
            <span key={s} className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs">
              {s}
            </span>
          ))}
        </div>
      </td>
      <td className={`${tdClass} whitespace-nowrap text-slate-600`}>{ep.lastUsedAt ? formatUtc(ep.lastUsedAt) : "never"}</td>
      <td className={`${tdClass} ${pinEndTd} text-right whitespace-nowrap`}>
        {ep.revokedAt ? (
          <Badge tone="red" testId="enforcement-point-revoked">
            revoked {formatUtc(ep.revokedAt)}
          </Badge>
        ) : confirming ? (
          <span className="inline-flex items-center gap-2">
            <span className="text-xs text-rose-800">Calls with this key fail at once.</span>
            <Button size="sm" variant="danger" disabled={revoke.isPending} onClick={() => revoke.mutate()}>
              Confirm revoke
            </Button>
            <Button size="sm" variant="secondary" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
          </span>
        ) : (
          <Button size="sm" variant="secondary" onClick={() => setConfirming(true)}>
            Revoke<span className="sr-only"> {ep.name}</span>
          </Button>
        )}
        {revoke.error && <ErrorAlert error={revoke.error} />}
      </td>
    </tr>
  );
}

function CreateEp({ scopes }: { scopes: readonly string[] }) {
  const router = useRouter();
  const [name, setName] = useState("");
  const [chosen, setChosen] = useState<string[]>(["decisions:write", "escalations:write"]);
  const create = useMutation({
    mutationFn: () => apiFetch<{ enforcementPoint: Ep; key: string }>("/api/v1/enforcement-points", { method: "POST", body: { name: name.trim(), scopes: chosen } }),
    onSuccess: () => {
      setName("");
      router.refresh();
    },
  });
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4">
      {create.data && (
        <div role="status" data-testid="new-key" className="mb-4 space-y-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950">
          <p className="font-semibold">Copy this key now: it is shown only once and Lanyard keeps only its hash.</p>
          <p>
            Key for <strong>{create.data.enforcementPoint.name}</strong>:
          </p>
          <CopyBox value={create.data.key} label="New enforcement-point key" testId="new-key-value" />
          <Button size="sm" variant="secondary" onClick={() => create.reset()}>
            I have stored it
          </Button>
        </div>
      )}
      <form
        aria-label="Create enforcement point"
        data-testid="create-enforcement-point-form"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <h3 className="mb-3 text-sm font-semibold">Create an enforcement point</h3>
        <Field label="Enforcement point name" className="max-w-sm" error={formErrors(create.error, EP_FIELDS).field("name")}>
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} className={inputClass} placeholder="mcp-gateway-prod" />
        </Field>
        <CheckboxGroup legend="Scopes" options={scopes} chosen={chosen} onChange={setChosen} />
        <div className="mt-3">
          <ErrorAlert error={create.error} fields={EP_FIELDS} />
        </div>
        <Button type="submit" className="mt-3" disabled={create.isPending || !name.trim() || chosen.length === 0}>
          {create.isPending ? "Creating…" : "Create key"}
        </Button>
      </form>
    </div>
  );
}
