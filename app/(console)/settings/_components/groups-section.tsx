"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { ErrorAlert } from "@/components/ui/error-alert";
import { Field, inputClass } from "@/components/ui/field";
import { tableClass, TableWrap, tdClass, thClass } from "@/components/ui/table";
import { ApiError, apiFetch, localIssues } from "@/lib/api/client";
import { GroupCreate, type GroupView } from "@/lib/groups/schemas";
import { formErrors, type FormSpec } from "@/lib/schemas/form-errors";

const GROUP_FIELDS: FormSpec = {
  name: { label: "Name", required: "give the group a name", format: "1 to 64 of lowercase letters, digits, '.', '_', '-'" },
  description: { label: "Description" },
};

type Person = { id: string; email: string; name: string; status: string };

export function GroupsSection({ groups, people }: { groups: GroupView[]; people: Person[] }) {
  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-600">
        Groups name sets of people for entitlements, policies and approval routing. SSO groups come from the identity provider&apos;s group claim and are kept in step at each sign-in; a member you add here is local and stays.
      </p>
      {groups.length === 0 ? (
        <EmptyState title="No groups yet" testId="groups-empty">
          Add one below, or let SSO sign-ins bring them.
        </EmptyState>
      ) : (
        <TableWrap label="Groups">
          <table className={tableClass} data-testid="groups-table">
            <thead className="bg-slate-50">
              <tr>
                <th className={thClass}>Group</th>
                <th className={thClass}>Members</th>
                <th className={thClass}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {groups.map((g) => (
                <GroupRow key={g.id} group={g} people={people} />
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <AddGroup />
    </div>
  );
}

function GroupRow({ group, people }: { group: GroupView; people: Person[] }) {
  const router = useRouter();
  const [pick, setPick] = useState("");
  const mutate = useMutation({
    mutationFn: ({ method, path }: { method: "PUT" | "DELETE"; path: string }) => apiFetch(path, { method }),
    onSuccess: () => {
      setPick("");
      router.refresh();
    },
  });
  const memberIds = new Set(group.members.map((m) => m.userId));
  const candidates = people.filter((p) => !memberIds.has(p.id) && p.status === "active");
  return (
    <tr data-testid="group-row" data-name={group.name}>
      <td className={`${tdClass} align-top`}>
        <div className="flex items-center gap-2 font-medium">
          <span className="font-mono">{group.name}</span>
          {group.source === "sso" && (
            <Badge tone="violet" title="created from an SSO group claim">
              SSO
            </Badge>
          )}
        </div>
        {group.description && <div className="text-xs text-slate-500">{group.description}</div>}
      </td>
      <td className={`${tdClass} align-top`}>
        <ul className="flex flex-wrap gap-1.5" aria-label={`Members of ${group.name}`}>
          {group.members.length === 0 && <li className="text-xs text-slate-500">no members</li>}
          {group.members.map((m) => (
            <li key={m.userId} data-testid="group-member" data-email={m.email} className="inline-flex items-center gap-1 rounded-full bg-slate-100 py-0.5 pr-1 pl-2 text-xs">
              <span title={m.name}>{m.email}</span>
              {m.source === "sso" && <span className="text-violet-700">(SSO)</span>}
              <button
                type="button"
                className="rounded-full px-1 text-slate-500 hover:bg-slate-200 hover:text-slate-900 disabled:cursor-not-allowed"
                disabled={mutate.isPending}
                aria-label={`Remove ${m.email} from ${group.name}`}
                title={m.source === "sso" ? "Removed until their next SSO sign-in, if the provider still lists the group" : "Remove"}
                onClick={() => mutate.mutate({ method: "DELETE", path: `/api/v1/groups/${group.id}/members/${m.userId}` })}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
        <form
          className="mt-2 flex items-center gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            if (pick) mutate.mutate({ method: "PUT", path: `/api/v1/groups/${group.id}/members/${pick}` });
          }}
        >
          <select aria-label={`Add a member to ${group.name}`} value={pick} onChange={(e) => setPick(e.target.value)} className={`${inputClass} mt-0 w-64`}>
            <option value="">Add a person…</option>
            {candidates.map((p) => (
              <option key={p.id} value={p.id}>
                {p.email}
              </option>
            ))}
          </select>
          <Button type="submit" size="sm" variant="secondary" disabled={!pick || mutate.isPending}>
            Add<span className="sr-only"> to {group.name}</span>
          </Button>
        </form>
        {mutate.error && <ErrorAlert error={mutate.error} testId="group-error" />}
      </td>
      <td className={`${tdClass} text-right align-top`}>
        <Button
          size="sm"
          variant="secondary"
          disabled={mutate.isPending}
          onClick={() => {
            // Deleting re-checks every member's live leases: some may be revoked.
            if (window.confirm(`Delete group ${group.name}? Its members' live leases that only this group entitled will be revoked.`)) {
              mutate.mutate({ method: "DELETE", path: `/api/v1/groups/${group.id}` });
            }
          }}
        >
          Delete<span className="sr-only"> {group.name}</span>
        </Button>
      </td>
    </tr>
  );
}

function AddGroup() {
  const router = useRouter();
  const [form, setForm] = useState({ name: "", description: "" });
  const [done, setDone] = useState<string | null>(null);
  const add = useMutation({
    mutationFn: () => {
      const body = GroupCreate.safeParse({ name: form.name, description: form.description || undefined });
      if (!body.success) throw localIssues(body.error.issues);
      return apiFetch<{ group: GroupView }>("/api/v1/groups", { method: "POST", body: body.data });
    },
    onSuccess: ({ group }) => {
      setDone(`Group ${group.name} added.`);
      setForm({ name: "", description: "" });
      router.refresh();
    },
  });
  const issue = formErrors(add.error instanceof ApiError ? add.error : null, GROUP_FIELDS).field;
  return (
    <form
      aria-label="Add group"
      data-testid="add-group-form"
      noValidate
      className="rounded-lg border border-slate-200 bg-white p-4"
      onSubmit={(e) => {
        e.preventDefault();
        setDone(null);
        add.mutate();
      }}
    >
      <h3 className="mb-3 text-sm font-semibold">Add a group</h3>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Name" hint="lowercase letters, digits, '.', '_', '-'" error={issue("name")}>
          <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} className={inputClass} autoComplete="off" />
        </Field>
        <Field label="Description" error={issue("description")}>
          <input value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} className={inputClass} autoComplete="off" />
        </Field>
      </div>
      <div className="mt-3 flex items-center gap-3">
        <Button type="submit" disabled={add.isPending}>
          {add.isPending ? "Adding…" : "Add group"}
        </Button>
        {done && (
          <p role="status" className="text-sm text-emerald-700">
            {done}
          </p>
        )}
      </div>
      <div className="mt-2">
        <ErrorAlert error={add.error} fields={GROUP_FIELDS} />
      </div>
    </form>
  );
}
