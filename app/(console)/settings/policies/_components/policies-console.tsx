"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useId, useState } from "react";
import { DiffView } from "./diff-view";
import { PolicyEditor } from "./policy-editor";
import { ReplayPanel } from "./replay-panel";
import type { AgentOption, CurrentPolicy, PersonOption, PolicyVersion, ToolOption, Validation } from "./types";
import { VersionHistory } from "./version-history";
import { WhatIfPanel } from "./what-if-panel";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { ErrorAlert } from "@/components/ui/error-alert";
import { Field, inputClass } from "@/components/ui/field";
import { apiFetch, type ApiError } from "@/lib/api/client";
import { lineDiff } from "@/lib/policy/diff";

type Props = { current: CurrentPolicy | null; versions: PolicyVersion[]; canManage: boolean; role: string; tools: ToolOption[]; agents: AgentOption[]; people: PersonOption[] };

// Typing pauses this long before the draft is validated: one request per pause, not per key.
const VALIDATE_AFTER_MS = 400;

export function PoliciesConsole(props: Props) {
  // A publish refreshes the page: the editor starts over from the new live version.
  return <Console key={props.current?.version ?? 0} {...props} />;
}

function Console({ current, versions, canManage, role, tools, agents, people }: Props) {
  const router = useRouter();
  const live = current?.text ?? "";
  const [text, setText] = useState(live);
  const [checked, setChecked] = useState<{ text: string; result: Validation } | null>(null);
  const [checkError, setCheckError] = useState<ApiError | null>(null);
  const [reviewing, setReviewing] = useState(false);
  const [message, setMessage] = useState("");
  const errorsId = useId();

  useEffect(() => {
    let stale = false;
    const timer = setTimeout(() => {
      apiFetch<Validation>("/api/v1/policies/validate", { method: "POST", body: { text } }).then(
        (result) => {
          if (stale) return;
          setChecked({ text, result });
          setCheckError(null);
        },
        (err: ApiError) => !stale && setCheckError(err),
      );
    }, VALIDATE_AFTER_MS);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [text]);

  const upToDate = checked?.text === text;
  const valid = upToDate && checked.result.valid;
  const errors = checked?.result.errors ?? [];
  const changed = text !== live;

  const publish = useMutation<{ version: PolicyVersion }, ApiError>({
    mutationFn: () => apiFetch("/api/v1/policies/publish", { method: "POST", body: { text, message } }),
    onSuccess: () => router.refresh(),
  });

  return (
    <div className="space-y-8">
      <Card
        testId="policy-editor"
        title={current ? `Published version ${current.version}` : "No policy published yet"}
        actions={
          <span aria-live="polite" data-testid="validation-state" data-state={!upToDate ? "checking" : valid ? "valid" : "invalid"}>
            {!upToDate ? <Badge tone="slate">checking…</Badge> : valid ? <Badge tone="green">valid</Badge> : <Badge tone="red">{errors.length === 1 ? "1 problem" : `${errors.length} problems`}</Badge>}
          </span>
        }
      >
        {current && (
          <p className="mb-3 text-xs text-slate-600">
            “{current.message}” by {current.authorEmail} · policies: {current.policies.map((p) => p.id).join(", ") || "none"}
          </p>
        )}
        {!canManage && (
          <p className="mb-3 rounded-md border border-slate-200 bg-slate-50 px-3 py-2 text-sm text-slate-700" data-testid="policy-read-only">
            Read only: your role ({role}) can read policies, try calls against them and see their history; an admin publishes them.
          </p>
        )}
        <PolicyEditor text={text} onChange={setText} readOnly={!canManage} errors={upToDate ? errors : []} describedBy={errorsId} />
        <div id={errorsId} className="mt-2">
          {upToDate && errors.length > 0 && (
            <ul className="space-y-1 text-sm text-rose-800" data-testid="validation-errors" aria-label="Validation errors">
              {errors.map((e, i) => (
                <li key={i} data-testid="validation-error" data-line={e.line ?? ""} data-policy-id={e.policyId ?? ""}>
                  {e.line ? <span className="font-mono text-xs">line {e.line}</span> : null}
                  {e.policyId ? <span className="ml-1 font-mono text-xs">({e.policyId})</span> : null}
                  {e.line || e.policyId ? ": " : ""}
                  {e.message}
                </li>
              ))}
            </ul>
          )}
          <ErrorAlert error={checkError} testId="validation-request-error" />
        </div>
        {canManage && (
          <div className="mt-3 flex flex-wrap items-center gap-2">
            <Button disabled={!changed || !valid} onClick={() => setReviewing(true)} data-testid="policy-review">
              Review and publish…
            </Button>
            <Button variant="secondary" disabled={!changed} onClick={() => (setText(live), setReviewing(false))}>
              Discard the draft
            </Button>
            <span className="text-xs text-slate-500">{!changed ? "The editor holds the published version." : !upToDate ? "Checking the draft…" : valid ? "The draft validates." : "Fix the problems to publish."}</span>
          </div>
        )}
        {canManage && reviewing && changed && (
          <form
            aria-label="Publish the draft"
            data-testid="policy-publish"
            className="mt-4 space-y-3 rounded-md border border-indigo-200 bg-indigo-50/40 p-3"
            onSubmit={(e) => {
              e.preventDefault();
              publish.mutate();
            }}
          >
            <DiffView diff={lineDiff(live, text)} label={current ? `The draft against published version ${current.version}` : "The draft"} />
            <Field label="Message" hint="Say what changed and why: it is kept with the version and in the audit log.">
              <textarea value={message} onChange={(e) => setMessage(e.target.value)} className={inputClass} rows={2} maxLength={500} required />
            </Field>
            <ErrorAlert error={publish.error} testId="publish-error" />
            <div className="flex gap-2">
              <Button type="submit" disabled={publish.isPending || !valid || !message.trim()} data-testid="policy-publish-submit">
                {publish.isPending ? "Publishing…" : `Publish version ${(current?.version ?? 0) + 1}`}
              </Button>
              <Button variant="secondary" onClick={() => setReviewing(false)}>
                Cancel
              </Button>
            </div>
          </form>
        )}
      </Card>

      {canManage && (
        <Card title="Preview replay" testId="replay">
          <ReplayPanel draft={text} draftValid={valid} agents={agents} />
        </Card>
      )}

      <Card title="What if" testId="what-if-card">
        <WhatIfPanel draft={text} draftDiffers={changed} tools={tools} agents={agents} people={people} />
      </Card>

      <section aria-labelledby="versions-title">
        <h2 id="versions-title" className="mb-3 text-lg font-semibold">
          Version history
        </h2>
        <VersionHistory versions={versions} />
      </section>
    </div>
  );
}
