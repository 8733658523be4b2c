"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { ConnectionView, CredentialView } from "./types";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { CheckboxGroup } from "@/components/ui/checkbox-group";
import { ErrorAlert } from "@/components/ui/error-alert";
import { Field, inputClass } from "@/components/ui/field";
import { tableClass, TableWrap, tdClass, thClass } from "@/components/ui/table";
import { formatUtc } from "@/components/ui/time";
import { apiFetch, type ApiError } from "@/lib/api/client";
import { formErrors, type FormSpec } from "@/lib/schemas/form-errors";

const CREDENTIAL_FIELDS: FormSpec = {
  name: { label: "Credential name", required: "give the credential a name" },
  inject: { label: "Variable or header name", required: "say where it goes" },
  value: { label: "Secret value", required: "paste the secret" },
  audience: { label: "Audience", required: "give the upstream's identifier" },
  ttlSeconds: { label: "Token lifetime (seconds)" },
  adminUrl: { label: "Admin connection URL", required: "give the admin connection's address" },
  groupRole: { label: "Group role", required: "name the group role" },
  database: { label: "Database" },
};

const KIND_LABEL = { static: "static secret", obo: "on-behalf-of token", "postgres-dynamic": "dynamic PostgreSQL login" } as const;
type Kind = keyof typeof KIND_LABEL;

const injectText = (i: CredentialView["inject"]) => ("header" in i ? `header ${i.header}` : `env ${i.env}`);
const configText = (c: CredentialView) =>
  c.kind === "obo" ? `aud ${String(c.config.audience)}, ${String(c.config.ttlSeconds)} s` : c.kind === "postgres-dynamic" ? `group ${String(c.config.groupRole)}, db ${String(c.config.database)}` : "";

/** Catalog tools this connection maps: the only ones a credential of it may serve. */
const mappedTools = (c: ConnectionView) => [...new Set([...c.tools.map((t) => t.tool), c.resources?.tool, c.prompts?.tool].filter((t): t is string => !!t))].sort();

/** The vault's side of a connection: credentials the gateway injects after an allow. Values are never read back. */
export function CredentialsPanel({ connection: c, credentials }: { connection: ConnectionView; credentials: CredentialView[] }) {
  const [adding, setAdding] = useState(false);
  return (
    <div className="mt-5 border-t border-slate-100 pt-4">
      <div className="mb-2 flex flex-wrap items-center justify-between gap-2">
        <h4 className="text-sm font-semibold">Credentials</h4>
        <Button size="sm" variant="secondary" onClick={() => setAdding((a) => !a)} aria-expanded={adding} data-testid="credential-add">
          {adding ? "Close" : "Add credential"}
          <span className="sr-only"> to {c.name}</span>
        </Button>
      </div>
      {credentials.length ? (
        <TableWrap label={`Credentials of ${c.name}`}>
          <table className={tableClass} data-testid="credentials-table">
            <thead className="bg-slate-50">
              <tr>
                <th className={thClass}>Name</th>
                <th className={thClass}>Kind</th>
                <th className={thClass}>Injected as</th>
                <th className={thClass}>Serves</th>
                <th className={thClass}>Changed</th>
                <th className={thClass}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {credentials.map((k) => (
                <CredentialRow key={k.id} connectionId={c.id} credential={k} />
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : (
        <p className="text-sm text-slate-600">None. The gateway injects a credential only after Lanyard allows a call; the agent never holds one.</p>
      )}
      {adding && <AddCredential connection={c} onDone={() => setAdding(false)} />}
    </div>
  );
}

function CredentialRow({ connectionId, credential: k }: { connectionId: string; credential: CredentialView }) {
  const router = useRouter();
  const [mode, setMode] = useState<"idle" | "rotate" | "retire">("idle");
  const [secret, setSecret] = useState("");
  const base = `/api/v1/connections/${connectionId}/credentials/${k.id}`;
  const rotate = useMutation<{ credential: CredentialView }, ApiError>({
    mutationFn: () => apiFetch(`${base}/rotate`, { method: "POST", body: k.kind === "static" ? { value: secret } : { adminUrl: secret } }),
    onSuccess: () => {
      setSecret("");
      setMode("idle");
      router.refresh();
    },
  });
  const retire = useMutation<{ credential: CredentialView }, ApiError>({
    mutationFn: () => apiFetch(base, { method: "DELETE" }),
    onSuccess: () => {
      setMode("idle");
      router.refresh();
    },
  });
  const retired = !!k.retiredAt;
  return (
    <tr data-testid="credential-row" data-name={k.name} data-retired={String(retired)} className={retired ? "text-slate-500" : undefined}>
      <td className={`${tdClass} font-mono text-xs`}>
        {k.name}
        {retired && (
          <span className="ml-2">
            <Badge tone="slate">retired</Badge>
          </span>
        )}
      </td>
      <td className={`${tdClass} text-xs whitespace-nowrap`}>
        {KIND_LABEL[k.kind as Kind] ?? k.kind}
        {configText(k) && <div className="font-mono text-slate-500">{configText(k)}</div>}
      </td>
      <td className={`${tdClass} font-mono text-xs`}>{injectText(k.inject)}</td>
      <td className={`${tdClass} font-mono text-xs`}>{k.tools.join(", ")}</td>
      <td className={`${tdClass} text-xs whitespace-nowrap`}>
        v{k.version} · {formatUtc(k.retiredAt ?? k.rotatedAt ?? k.createdAt)}
      </td>
      <td className={`${tdClass} text-right`}>
        {retired ? null : mode === "rotate" ? (
          <form
            className="flex flex-wrap items-center justify-end gap-2"
            onSubmit={(e) => {
              e.preventDefault();
              rotate.mutate();
            }}
          >
            <input type="password" aria-label={k.kind === "static" ? `New value for ${k.name}` : `New admin URL for ${k.name}`} value={secret} onChange={(e) => setSecret(e.target.value)} required className={`${inputClass} mt-0 w-56 font-mono`} autoComplete="new-password" placeholder={k.kind === "static" ? "new value" : "postgres://…"} />
            <Button size="sm" type="submit" disabled={rotate.isPending || !secret}>
              Rotate
            </Button>
            <Button size="sm" variant="secondary" onClick={() => setMode("idle")}>
              Cancel
            </Button>
          </form>
        ) : mode === "retire" ? (
          <span className="inline-flex flex-col items-end gap-1.5">
            <span className="text-xs text-rose-800">Released no more; its secret is erased.</span>
            <span className="inline-flex gap-2">
              <Button size="sm" variant="danger" disabled={retire.isPending} onClick={() => retire.mutate()} data-testid="credential-retire-confirm">
                Confirm retire
              </Button>
              <Button size="sm" variant="secondary" onClick={() => setMode("idle")}>
                Cancel
              </Button>
            </span>
          </span>
        ) : (
          <span className="inline-flex gap-2">
            {k.kind !== "obo" && (
              <Button size="sm" variant="secondary" onClick={() => setMode("rotate")} data-testid="credential-rotate">
                Rotate<span className="sr-only"> {k.name}</span>
              </Button>
            )}
            <Button size="sm" variant="secondary" onClick={() => setMode("retire")} data-testid="credential-retire">
              Retire<span className="sr-only"> {k.name}</span>
            </Button>
          </span>
        )}
        <ErrorAlert error={rotate.error ?? retire.error} />
      </td>
    </tr>
  );
}

function AddCredential({ connection: c, onDone }: { connection: ConnectionView; onDone: () => void }) {
  const router = useRouter();
  const tools = mappedTools(c);
  const [name, setName] = useState("");
  const [kind, setKind] = useState<Kind>("static");
  const [where, setWhere] = useState<"header" | "env">(c.transport.type === "http" ? "header" : "env");
  const [target, setTarget] = useState("");
  const [chosen, setChosen] = useState<string[]>(tools);
  const [value, setValue] = useState("");
  const [audience, setAudience] = useState("");
  const [ttl, setTtl] = useState("300");
  const [adminUrl, setAdminUrl] = useState("");
  const [groupRole, setGroupRole] = useState("");
  const [database, setDatabase] = useState("");
  const inject = kind === "postgres-dynamic" || where === "env" ? { env: target.trim() } : { header: target.trim() };
  const create = useMutation<{ credential: CredentialView }, ApiError>({
    mutationFn: () => {
      const common = { name: name.trim(), inject, tools: chosen };
      const body =
        kind === "static"
          ? { ...common, kind, value }
          : kind === "obo"
            ? { ...common, kind, audience: audience.trim(), ttlSeconds: Number(ttl) }
            : { ...common, kind, adminUrl, groupRole: groupRole.trim(), database: database.trim() };
      return apiFetch(`/api/v1/connections/${c.id}/credentials`, { method: "POST", body });
    },
    onSuccess: () => {
      // The value leaves the page's memory with the form: nothing shows it again.
      setValue("");
      setAdminUrl("");
      router.refresh();
      onDone();
    },
  });
  const issue = formErrors(create.error, CREDENTIAL_FIELDS).field;
  if (!tools.length) return <p className="mt-2 text-sm text-amber-900">Map at least one tool first: a credential serves catalog tools this connection maps.</p>;
  return (
    <form
      aria-label={`Add credential to ${c.name}`}
      data-testid="add-credential-form"
      className="mt-3 rounded-md border border-slate-200 bg-slate-50 p-3"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Credential name" error={issue("name")}>
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={64} className={`${inputClass} font-mono`} placeholder="github-token" autoComplete="off" />
        </Field>
        <Field label="Kind">
          <select value={kind} onChange={(e) => setKind(e.target.value as Kind)} className={inputClass}>
            {(Object.keys(KIND_LABEL) as Kind[]).map((k) => (
              <option key={k} value={k}>
                {KIND_LABEL[k]}
              </option>
            ))}
          </select>
        </Field>
        {kind !== "postgres-dynamic" && (
          <Field label="Injected as">
            <select value={where} onChange={(e) => setWhere(e.target.value as "header" | "env")} className={inputClass}>
              <option value="header">an HTTP header of the upstream request</option>
              <option value="env">an environment variable of the upstream process</option>
            </select>
          </Field>
        )}
        <Field label={kind === "postgres-dynamic" || where === "env" ? "Variable name" : "Header name"} hint={kind === "postgres-dynamic" ? "Receives the login's connection URL." : undefined} error={issue("inject")}>
          <input value={target} onChange={(e) => setTarget(e.target.value)} required maxLength={128} className={`${inputClass} font-mono`} placeholder={kind === "postgres-dynamic" ? "DATABASE_URL" : where === "env" ? "API_TOKEN" : "Authorization"} autoComplete="off" />
        </Field>
        {kind === "static" && (
          <Field label="Secret value" hint="Stored encrypted; never shown again, not even here." error={issue("value")}>
            <input type="password" value={value} onChange={(e) => setValue(e.target.value)} required maxLength={8192} className={`${inputClass} font-mono`} autoComplete="new-password" />
          </Field>
        )}
        {kind === "obo" && (
          <>
            <Field label="Audience" hint="The upstream's identifier: the token's aud." error={issue("audience")}>
              <input value={audience} onChange={(e) => setAudience(e.target.value)} required maxLength={500} className={`${inputClass} font-mono`} placeholder="https://api.example.com" autoComplete="off" />
            </Field>
            <Field label="Token lifetime (seconds)" hint="10 to 300; never past the lease's expiry." error={issue("ttlSeconds")}>
              <input type="number" min={10} max={300} value={ttl} onChange={(e) => setTtl(e.target.value)} required className={inputClass} />
            </Field>
          </>
        )}
        {kind === "postgres-dynamic" && (
          <>
            <Field label="Admin connection URL" hint="A role that may create roles and grant the group role. Secret: stored encrypted." error={issue("adminUrl")}>
              <input type="password" value={adminUrl} onChange={(e) => setAdminUrl(e.target.value)} required maxLength={2000} className={`${inputClass} font-mono`} autoComplete="new-password" placeholder="postgres://admin:…@db:5432/app" />
            </Field>
            <Field label="Group role" hint="Each lease's login becomes a member of it." error={issue("groupRole")}>
              <input value={groupRole} onChange={(e) => setGroupRole(e.target.value)} required maxLength={63} className={`${inputClass} font-mono`} placeholder="readonly_agents" autoComplete="off" />
            </Field>
            <Field label="Database" error={issue("database")}>
              <input value={database} onChange={(e) => setDatabase(e.target.value)} required maxLength={63} className={`${inputClass} font-mono`} placeholder="app" autoComplete="off" />
            </Field>
          </>
        )}
      </div>
      <CheckboxGroup legend="Serves these tools" options={tools} chosen={chosen} onChange={setChosen} />
      <div className="mt-3">
        <ErrorAlert error={create.error} fields={CREDENTIAL_FIELDS} />
      </div>
      <Button type="submit" className="mt-3" disabled={create.isPending || !name.trim() || !target.trim() || chosen.length === 0} data-testid="credential-create">
        {create.isPending ? "Storing…" : "Store credential"}
      </Button>
    </form>
  );
}
