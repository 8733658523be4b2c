"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { ConnectionView, EpOption } from "./types";
import { Button } from "@/components/ui/button";
import { CheckboxGroup } from "@/components/ui/checkbox-group";
import { ErrorAlert } from "@/components/ui/error-alert";
import { Field, inputClass } from "@/components/ui/field";
import { SecretPairs, pairsToRecord, type Pair } from "@/components/ui/secret-pairs";
import { apiFetch, type ApiError } from "@/lib/api/client";
import { formErrors, type FormSpec } from "@/lib/schemas/form-errors";

const CONNECTION_FIELDS: FormSpec = {
  name: { label: "Name", required: "give the connection a name", format: "lowercase letters, digits and dashes" },
  "transport.command": { label: "Command", required: "give the command to run" },
  "transport.args": { label: "Arguments" },
  "transport.url": { label: "URL", required: "give the upstream's address" },
};

/** One argument a line: arguments may hold spaces, and nothing here runs a shell. */
const argsOf = (text: string) => text.split("\n").map((a) => a.trim()).filter(Boolean);

export function AddConnection({ points }: { points: EpOption[] }) {
  const router = useRouter();
  const [name, setName] = useState("");
  const [type, setType] = useState<"stdio" | "http">("stdio");
  const [command, setCommand] = useState("");
  const [args, setArgs] = useState("");
  const [env, setEnv] = useState<Pair[]>([]);
  const [url, setUrl] = useState("");
  const [headers, setHeaders] = useState<Pair[]>([]);
  const [eps, setEps] = useState<string[]>([]);
  const create = useMutation<{ connection: ConnectionView }, ApiError>({
    mutationFn: () =>
      apiFetch("/api/v1/connections", {
        method: "POST",
        body: {
          name: name.trim(),
          transport: type === "stdio" ? { type, command: command.trim(), args: argsOf(args), env: pairsToRecord(env) } : { type, url: url.trim(), headers: pairsToRecord(headers) },
          enforcementPointIds: eps,
        },
      }),
    onSuccess: () => {
      setName("");
      setCommand("");
      setArgs("");
      setEnv([]);
      setUrl("");
      setHeaders([]);
      setEps([]);
      router.refresh();
    },
  });
  const gateways = points.filter((p) => p.scopes.includes("connections:read"));
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4 sm:p-5">
      <form
        aria-label="Add connection"
        data-testid="add-connection-form"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <h2 className="mb-3 text-base font-semibold">Add an upstream</h2>
        {create.data && (
          <p role="status" className="mb-3 rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900" data-testid="connection-added">
            Added <span className="font-mono">{create.data.connection.name}</span>. Test it to see its tools, then map them.
          </p>
        )}
        <div className="grid gap-3 sm:grid-cols-2">
          <Field label="Name" hint="Lowercase; prefixes its tools when two connections offer the same name." error={formErrors(create.error, CONNECTION_FIELDS).field("name")}>
            <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={40} className={`${inputClass} font-mono`} placeholder="filesystem" autoComplete="off" />
          </Field>
          <fieldset className="text-sm">
            <legend className="font-medium text-slate-800">Transport</legend>
            <div className="mt-2 flex gap-4">
              {(["stdio", "http"] as const).map((t) => (
                <label key={t} className="flex items-center gap-1.5">
                  <input type="radio" name="transport" value={t} checked={type === t} onChange={() => setType(t)} className="size-4" />
                  {t === "stdio" ? "stdio (a command the gateway starts)" : "Streamable HTTP (a URL)"}
                </label>
              ))}
            </div>
          </fieldset>
        </div>
        {type === "stdio" ? (
          <div className="mt-3 grid gap-3 sm:grid-cols-2">
            <Field label="Command" error={formErrors(create.error, CONNECTION_FIELDS).field("transport.command")}>
              <input value={command} onChange={(e) => setCommand(e.target.value)} required maxLength={1000} className={`${inputClass} font-mono`} placeholder="npx" autoComplete="off" />
            </Field>
            <Field label="Arguments" hint="One a line." error={formErrors(create.error, CONNECTION_FIELDS).field("transport.args")}>
              <textarea value={args} onChange={(e) => setArgs(e.target.value)} rows={3} className={`${inputClass} font-mono`} placeholder={"-y\n@modelcontextprotocol/server-filesystem\n/srv/repo"} />
            </Field>
            <div className="sm:col-span-2">
              <SecretPairs legend="Environment variables" nameLabel="Variable" pairs={env} onChange={setEnv} testId="env-pairs" hint="Values are stored encrypted and never shown again. Credentials released per call belong under Credentials, once the connection exists." />
            </div>
          </div>
        ) : (
          <div className="mt-3 grid gap-3">
            <Field label="URL" className="max-w-xl" error={formErrors(create.error, CONNECTION_FIELDS).field("transport.url")}>
              <input type="url" value={url} onChange={(e) => setUrl(e.target.value)} required maxLength={2000} className={`${inputClass} font-mono`} placeholder="https://mcp.example.com/mcp" />
            </Field>
            <SecretPairs legend="Headers" nameLabel="Header" pairs={headers} onChange={setHeaders} testId="header-pairs" hint="Values are stored encrypted and never shown again." />
          </div>
        )}
        {gateways.length ? (
          <CheckboxGroup legend="Served by (enforcement-point keys with connections:read)" options={gateways.map((p) => p.id)} chosen={eps} onChange={setEps} labelOf={(id) => <span className="font-sans">{points.find((p) => p.id === id)?.name ?? id}</span>} />
        ) : (
          <p className="mt-3 text-sm text-slate-600">No enforcement-point key has the connections:read scope yet: make one under Settings → Enforcement points for the gateway, then assign it here.</p>
        )}
        <div className="mt-3">
          <ErrorAlert error={create.error} fields={CONNECTION_FIELDS} />
        </div>
        <Button type="submit" className="mt-3" disabled={create.isPending || !name.trim() || (type === "stdio" ? !command.trim() : !url.trim())}>
          {create.isPending ? "Adding…" : "Add connection"}
        </Button>
      </form>
    </div>
  );
}
