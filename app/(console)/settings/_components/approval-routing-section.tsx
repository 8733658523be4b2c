"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { CheckboxGroup } from "@/components/ui/checkbox-group";
import { EmptyState } from "@/components/ui/empty-state";
import { ErrorAlert } from "@/components/ui/error-alert";
import { Field, inputClass } from "@/components/ui/field";
import { tableClass, TableWrap, tdClass, thClass } from "@/components/ui/table";
import { ApiError, apiFetch, localIssues } from "@/lib/api/client";
import { ApprovalRouteCreate, type ApprovalRouteView } from "@/lib/routing/schemas";
import { formErrors, type FormSpec } from "@/lib/schemas/form-errors";

const ROUTE_FIELDS: FormSpec = {
  name: { label: "Name", required: "name the route" },
  groupIds: { label: "Approver groups", items: ["group", "groups"], required: "choose at least one group" },
  requiredApprovals: { label: "Approvals needed", format: "a whole number from 1 to 10" },
  windowMinutes: { label: "Window (minutes)", format: "a whole number of minutes, 1 to 1440" },
  environment: { label: "Environment", format: "a lowercase environment name" },
};

type Option = { id: string; label: string };
const RISKS = ["low", "medium", "high", "critical"] as const;

/**
 * Which approver groups a request goes to, how many must agree and for how long (issue 17). Routes are
 * tried in order; the first whose conditions all hold wins. None matching: the agent owner's groups,
 * else any approver.
 */
export function ApprovalRoutingSection({ routes, groups, agents, tools }: { routes: ApprovalRouteView[]; groups: Option[]; agents: Option[]; tools: string[] }) {
  const name = (list: Option[], id: string | null) => (id === null ? "any" : (list.find((o) => o.id === id)?.label ?? id));
  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-600">
        Routes are tried top to bottom; the first whose agent, tool, risk and environment all match assigns the request to its groups (shown first in their queue and mailed to them). Its
        approvals are never fewer than the tool&apos;s risk requires. With no match: the agent owner&apos;s groups, else every approver.
      </p>
      {routes.length === 0 ? (
        <EmptyState title="No approval routes" testId="routes-empty">
          Requests go to the agent owner&apos;s groups, or to every approver.
        </EmptyState>
      ) : (
        <TableWrap label="Approval routes">
          <table className={tableClass} data-testid="routes-table">
            <thead className="bg-slate-50">
              <tr>
                <th className={thClass}>#</th>
                <th className={thClass}>Route</th>
                <th className={thClass}>When</th>
                <th className={thClass}>Goes to</th>
                <th className={thClass}>Approvals · window</th>
                <th className={thClass}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {routes.map((r) => (
                <RouteRow
                  key={r.id}
                  r={r}
                  when={`agent ${name(agents, r.agentId)} · tool ${r.tool ?? "any"} · risk ${r.risk ?? "any"} · env ${r.environment ?? "any"}`}
                  to={r.groupIds.map((g) => name(groups, g)).join(", ")}
                />
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <AddRoute groups={groups} agents={agents} tools={tools} />
    </div>
  );
}

function RouteRow({ r, when, to }: { r: ApprovalRouteView; when: string; to: string }) {
  const router = useRouter();
  const del = useMutation({ mutationFn: () => apiFetch(`/api/v1/approval-routes/${r.id}`, { method: "DELETE" }), onSuccess: () => router.refresh() });
  const move = useMutation({ mutationFn: (position: number) => apiFetch(`/api/v1/approval-routes/${r.id}`, { method: "PATCH", body: { position } }), onSuccess: () => router.refresh() });
  return (
    <tr data-testid="route-row" data-route-id={r.id}>
      <td className={`${tdClass} align-top text-xs text-slate-500`}>{r.position}</td>
      <td className={`${tdClass} align-top font-medium`}>{r.name}</td>
      <td className={`${tdClass} align-top text-xs`}>{when}</td>
      <td className={`${tdClass} align-top text-xs`}>{to}</td>
      <td className={`${tdClass} align-top text-xs`}>
        {r.requiredApprovals ?? "by risk"} · {r.windowMinutes ? `${r.windowMinutes} min` : "by risk"}
      </td>
      <td className={`${tdClass} space-x-1 text-right align-top whitespace-nowrap`}>
        <Button size="sm" variant="secondary" disabled={move.isPending || r.position === 0} onClick={() => move.mutate(Math.max(0, r.position - 15))}>
          Up<span className="sr-only"> {r.name}</span>
        </Button>
        <Button size="sm" variant="secondary" disabled={move.isPending} onClick={() => move.mutate(r.position + 15)}>
          Down<span className="sr-only"> {r.name}</span>
        </Button>
        <Button
          size="sm"
          variant="secondary"
          disabled={del.isPending}
          onClick={() => {
            if (window.confirm(`Delete the route ${r.name}? Requests already assigned keep their assignment.`)) del.mutate();
          }}
        >
          Delete<span className="sr-only"> route {r.name}</span>
        </Button>
        {(del.error || move.error) && <ErrorAlert error={del.error ?? move.error} testId="route-error" />}
      </td>
    </tr>
  );
}

function AddRoute({ groups, agents, tools }: { groups: Option[]; agents: Option[]; tools: string[] }) {
  const router = useRouter();
  const empty = { name: "", agentId: "", tool: "", risk: "", environment: "", groupIds: [] as string[], requiredApprovals: "", windowMinutes: "" };
  const [form, setForm] = useState(empty);
  const [done, setDone] = useState<string | null>(null);
  const add = useMutation({
    mutationFn: () => {
      const body = ApprovalRouteCreate.safeParse({
        name: form.name.trim(),
        agentId: form.agentId || null,
        tool: form.tool || null,
        risk: form.risk || null,
        environment: form.environment.trim() || null,
        groupIds: form.groupIds,
        requiredApprovals: form.requiredApprovals ? Number(form.requiredApprovals) : null,
        windowMinutes: form.windowMinutes ? Number(form.windowMinutes) : null,
      });
      if (!body.success) throw localIssues(body.error.issues);
      return apiFetch<{ route: ApprovalRouteView }>("/api/v1/approval-routes", { method: "POST", body: body.data });
    },
    onSuccess: ({ route }) => {
      setDone(`Route ${route.name} added.`);
      setForm(empty);
      router.refresh();
    },
  });
  const issue = formErrors(add.error instanceof ApiError ? add.error : null, ROUTE_FIELDS).field;
  const labelOf = new Map(groups.map((g) => [g.label, g.id]));
  return (
    <form
      aria-label="Add approval route"
      data-testid="add-route-form"
      noValidate
      className="rounded-lg border border-slate-200 bg-white p-4"
      onSubmit={(e) => {
        e.preventDefault();
        setDone(null);
        add.mutate();
      }}
    >
      <h3 className="mb-3 text-sm font-semibold">Add a route (after the last)</h3>
      <div className="grid gap-3 sm:grid-cols-3">
        <Field label="Name" error={issue("name")}>
          <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} className={inputClass} autoComplete="off" />
        </Field>
        <Field label="Agent">
          <select value={form.agentId} onChange={(e) => setForm({ ...form, agentId: e.target.value })} className={inputClass}>
            <option value="">any agent</option>
            {agents.map((a) => (
              <option key={a.id} value={a.id}>
                {a.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Tool">
          <select value={form.tool} onChange={(e) => setForm({ ...form, tool: e.target.value })} className={inputClass}>
            <option value="">any tool</option>
            {tools.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Risk">
          <select value={form.risk} onChange={(e) => setForm({ ...form, risk: e.target.value })} className={inputClass}>
            <option value="">any risk</option>
            {RISKS.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Environment" hint="empty for any" error={issue("environment")}>
          <input value={form.environment} onChange={(e) => setForm({ ...form, environment: e.target.value })} className={inputClass} autoComplete="off" />
        </Field>
        <Field label="Approvals needed" hint="empty: by the tool's risk" error={issue("requiredApprovals")}>
          <input inputMode="numeric" value={form.requiredApprovals} onChange={(e) => setForm({ ...form, requiredApprovals: e.target.value })} className={inputClass} autoComplete="off" />
        </Field>
        <Field label="Window (minutes)" hint="empty: 15 critical, else 60" error={issue("windowMinutes")}>
          <input inputMode="numeric" value={form.windowMinutes} onChange={(e) => setForm({ ...form, windowMinutes: e.target.value })} className={inputClass} autoComplete="off" />
        </Field>
      </div>
      {groups.length === 0 ? (
        <p className="mt-3 text-sm text-slate-600">Add a group under Groups first.</p>
      ) : (
        <CheckboxGroup
          legend="Approver groups"
          options={groups.map((g) => g.label)}
          chosen={form.groupIds.map((id) => groups.find((g) => g.id === id)?.label ?? id)}
          onChange={(next) => setForm({ ...form, groupIds: next.map((l) => labelOf.get(l) ?? l) })}
        />
      )}
      {issue("groupIds") && <p className="mt-1 text-sm text-rose-700">{issue("groupIds")}</p>}
      <div className="mt-3 flex items-center gap-3">
        <Button type="submit" disabled={add.isPending}>
          {add.isPending ? "Adding…" : "Add route"}
        </Button>
        {done && (
          <p role="status" className="text-sm text-emerald-700">
            {done}
          </p>
        )}
      </div>
      <div className="mt-2">
        <ErrorAlert error={add.error} fields={ROUTE_FIELDS} />
      </div>
    </form>
  );
}
