"use client";
import { useMutation } from "@tanstack/react-query";
import { CheckboxGroup } from "@/components/ui/checkbox-group";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Badge, type Tone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { CopyBox } from "@/components/ui/copy-box";
import { EmptyState } from "@/components/ui/empty-state";
import { ErrorAlert } from "@/components/ui/error-alert";
import { Field, inputClass } from "@/components/ui/field";
import { tableClass, TableWrap, tdClass, thClass } from "@/components/ui/table";
import { formatUtc } from "@/components/ui/time";
import { apiFetch, type ApiError } from "@/lib/api/client";
import type { WebhookView } from "@/lib/webhooks/schemas";
import { formErrors, type FormSpec } from "@/lib/schemas/form-errors";

const WEBHOOK_FIELDS: FormSpec = {
  url: { label: "Endpoint URL", required: "give the endpoint's address" },
  events: { label: "Events", items: ["event", "events"] },
};

const DELIVERY_TONE: Record<string, Tone> = { delivered: "green", pending: "amber", failed: "red" };

export function WebhooksSection({ webhooks, events }: { webhooks: WebhookView[]; events: readonly string[] }) {
  return (
    <div className="space-y-4">
      <p className="max-w-3xl text-sm text-slate-600">
        Lanyard POSTs escalation events to these endpoints (retried with backoff), each with a link to the request in the approval queue. Receivers verify the header{" "}
        <code className="rounded bg-slate-100 px-1 font-mono text-xs">x-lanyard-signature: t=&lt;unix&gt;,v1=&lt;hex&gt;</code>, where <code className="font-mono text-xs">v1</code> is the HMAC-SHA256 of{" "}
        <code className="font-mono text-xs">&quot;&lt;t&gt;.&lt;body&gt;&quot;</code> with the endpoint&apos;s secret.
      </p>
      {webhooks.length ? (
        <TableWrap label="Webhooks">
          <table className={tableClass} data-testid="webhooks-table">
            <thead className="bg-slate-50">
              <tr>
                <th className={thClass}>Endpoint</th>
                <th className={thClass}>Events</th>
                <th className={thClass}>Recent deliveries</th>
                <th className={thClass}>Added</th>
                <th className={thClass}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {webhooks.map((w) => (
                <WebhookRow key={w.id} webhook={w} />
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : (
        <EmptyState title="No webhooks yet" testId="webhooks-empty">
          Add one to tell a chat channel or an on-call tool when a request waits for approvers, and when it is decided.
        </EmptyState>
      )}
      <CreateWebhook events={events} />
    </div>
  );
}

function WebhookRow({ webhook: w }: { webhook: WebhookView }) {
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation({
    mutationFn: () => apiFetch(`/api/v1/webhooks/${w.id}`, { method: "DELETE" }),
    onSuccess: () => {
      setConfirming(false);
      router.refresh();
    },
  });
  const failing = w.deliveries.filter((d) => d.status === "failed" || (d.status === "pending" && d.attempts > 0)).length;
  return (
    <tr data-testid="webhook-row" data-url={w.url}>
      <td className={`${tdClass} max-w-80 min-w-48`}>
        <div className="font-mono text-xs break-all">{w.url}</div>
        {!w.active && <Badge tone="slate">inactive</Badge>}
      </td>
      <td className={tdClass}>
        <div className="flex flex-wrap gap-1">
          {w.events.map((e) => (
            <span key={e} className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs">
              {e}
            </span>
          ))}
        </div>
      </td>
      <td className={`${tdClass} min-w-80`}>
        {w.deliveries.length ? (
          <>
            {failing > 0 && (
              <p className="mb-1 text-xs font-medium text-rose-700">
                {failing} of the last {w.deliveries.length} not delivered
              </p>
            )}
            <ul className="space-y-1.5" data-testid="webhook-deliveries">
              {w.deliveries.slice(0, 5).map((d) => (
                <li key={d.id} className="text-xs" data-testid="webhook-delivery" data-status={d.status}>
                  <div className="flex items-center gap-2 whitespace-nowrap">
                    <Badge tone={DELIVERY_TONE[d.status] ?? "slate"} title={d.lastError ?? undefined}>
                      {d.status === "pending" && d.attempts > 0 ? "retrying" : d.status}
                    </Badge>
                    <span className="font-mono">{d.event}</span>
                    <span className="text-slate-500">{formatUtc(d.deliveredAt ?? d.createdAt)}</span>
                  </div>
                  <div className="mt-0.5 pl-1 text-slate-500">
                    {d.attempts} {d.attempts === 1 ? "attempt" : "attempts"}
                    {d.lastStatus !== null ? ` · HTTP ${d.lastStatus}` : ""}
                    {d.status !== "delivered" && d.lastError && (
                      <span className="text-rose-700" title={d.lastError}>
                        {" "}
                        · {d.lastError.length > 80 ? `${d.lastError.slice(0, 80)}…` : d.lastError}
                      </span>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          </>
        ) : (
          <span className="text-xs text-slate-500">none yet</span>
        )}
      </td>
      <td className={`${tdClass} whitespace-nowrap text-slate-600`}>{formatUtc(w.createdAt)}</td>
      <td className={`${tdClass} text-right whitespace-nowrap`}>
        {confirming ? (
          <span className="inline-flex flex-col items-end gap-1.5">
            <span className="text-xs text-rose-800">Stops all deliveries to it.</span>
            <span className="inline-flex gap-2">
            <Button size="sm" variant="danger" disabled={remove.isPending} onClick={() => remove.mutate()} data-testid="webhook-delete-confirm">
              Confirm delete
            </Button>
              <Button size="sm" variant="secondary" onClick={() => setConfirming(false)}>
                Cancel
              </Button>
            </span>
          </span>
        ) : (
          <Button size="sm" variant="secondary" onClick={() => setConfirming(true)} data-testid="webhook-delete">
            Delete<span className="sr-only"> webhook {w.url}</span>
          </Button>
        )}
        {remove.error && <ErrorAlert error={remove.error} />}
      </td>
    </tr>
  );
}

function CreateWebhook({ events }: { events: readonly string[] }) {
  const router = useRouter();
  const [url, setUrl] = useState("");
  const [chosen, setChosen] = useState<string[]>([...events]);
  const create = useMutation<{ webhook: WebhookView; secret: string }, ApiError>({
    mutationFn: () => apiFetch("/api/v1/webhooks", { method: "POST", body: { url: url.trim(), events: chosen } }),
    onSuccess: () => {
      setUrl("");
      router.refresh();
    },
  });
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4">
      {create.data && (
        <div role="status" data-testid="new-webhook-secret" className="mb-4 space-y-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950">
          <p className="font-semibold">Copy this signing secret now: it is shown only once.</p>
          <p>
            Secret for <span className="font-mono break-all">{create.data.webhook.url}</span>. Store it with the receiver; it checks every delivery&apos;s{" "}
            <code className="font-mono text-xs">x-lanyard-signature</code> with it. If it is lost, delete the webhook and add it again.
          </p>
          <CopyBox value={create.data.secret} label="New webhook signing secret" testId="new-webhook-secret-value" />
          <Button size="sm" variant="secondary" onClick={() => create.reset()}>
            I have stored it
          </Button>
        </div>
      )}
      <form
        aria-label="Add webhook"
        data-testid="create-webhook-form"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <h3 className="mb-3 text-sm font-semibold">Add a webhook</h3>
        <Field label="Endpoint URL" className="max-w-xl" error={formErrors(create.error, WEBHOOK_FIELDS).field("url")}>
          <input type="url" value={url} onChange={(e) => setUrl(e.target.value)} required maxLength={2000} className={inputClass} placeholder="https://chat.example.com/hooks/lanyard" />
        </Field>
        <CheckboxGroup legend="Events" options={events} chosen={chosen} onChange={setChosen} />
        <div className="mt-3">
          <ErrorAlert error={create.error} fields={WEBHOOK_FIELDS} />
        </div>
        <Button type="submit" className="mt-3" disabled={create.isPending || !url.trim() || chosen.length === 0}>
          {create.isPending ? "Adding…" : "Add webhook"}
        </Button>
      </form>
    </div>
  );
}
