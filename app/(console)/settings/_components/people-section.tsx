"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { StatusBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ErrorAlert } from "@/components/ui/error-alert";
import { Field, inputClass } from "@/components/ui/field";
import { tableClass, TableWrap, tdClass, thClass } from "@/components/ui/table";
import { formatUtc } from "@/components/ui/time";
import { ApiError, apiFetch, localIssues } from "@/lib/api/client";
import { ROLES } from "@/lib/auth/permissions";
import { PersonCreate } from "@/lib/people/schemas";
import { formErrors, type FormSpec } from "@/lib/schemas/form-errors";

const PERSON_FIELDS: FormSpec = {
  name: { label: "Name", required: "give their name" },
  email: { label: "Email", required: "give their email address" },
  role: { label: "Role" },
  password: { label: "Initial password" },
};

type Person = { id: string; email: string; name: string; role: string; status: string; lastLoginAt: string | null; groups?: { id: string; name: string; source: string }[] };

export function PeopleSection({ people, selfId }: { people: Person[]; selfId: string }) {
  return (
    <div className="space-y-4">
      <TableWrap label="People">
        <table className={tableClass} data-testid="people-table">
          <thead className="bg-slate-50">
            <tr>
              <th className={thClass}>Person</th>
              <th className={thClass}>Role</th>
              <th className={thClass}>Groups</th>
              <th className={thClass}>Status</th>
              <th className={thClass}>Last sign-in</th>
              <th className={thClass}>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {people.map((p) => (
              <PersonRow key={p.id} person={p} self={p.id === selfId} />
            ))}
          </tbody>
        </table>
      </TableWrap>
      <AddPerson />
    </div>
  );
}

function PersonRow({ person, self }: { person: Person; self: boolean }) {
  const router = useRouter();
  const patch = useMutation({
    mutationFn: (body: { role?: string; status?: string }) => apiFetch(`/api/v1/people/${person.id}`, { method: "PATCH", body }),
    onSuccess: () => router.refresh(),
  });
  return (
    <tr data-testid="person-row" data-email={person.email}>
      <td className={tdClass}>
        <div className="font-medium">{person.name}</div>
        <div className="text-xs text-slate-500">{person.email}</div>
      </td>
      <td className={tdClass}>
        <select
          aria-label={`Role for ${person.email}`}
          value={person.role}
          disabled={self || patch.isPending}
          title={self ? "You cannot change your own role" : undefined}
          onChange={(e) => patch.mutate({ role: e.target.value })}
          className={`${inputClass} mt-0 w-36`}
        >
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </td>
      <td className={`${tdClass} text-xs text-slate-600`} data-testid="person-groups">
        {person.groups?.length ? person.groups.map((g) => `${g.name}${g.source === "sso" ? " (SSO)" : ""}`).join(", ") : "—"}
      </td>
      <td className={tdClass}>
        <StatusBadge status={person.status} testId="person-status" />
      </td>
      <td className={`${tdClass} whitespace-nowrap text-slate-600`}>{person.lastLoginAt ? formatUtc(person.lastLoginAt) : "never"}</td>
      <td className={`${tdClass} text-right`}>
        {!self && (
          <Button size="sm" variant="secondary" disabled={patch.isPending} onClick={() => patch.mutate({ status: person.status === "active" ? "disabled" : "active" })}>
            {person.status === "active" ? `Disable` : `Enable`}
            <span className="sr-only"> {person.email}</span>
          </Button>
        )}
        {patch.error && <ErrorAlert error={patch.error} testId="person-error" />}
      </td>
    </tr>
  );
}

function AddPerson() {
  const router = useRouter();
  const [form, setForm] = useState({ name: "", email: "", role: "requester", password: "" });
  const [done, setDone] = useState<string | null>(null);
  const add = useMutation({
    mutationFn: () => {
      const body = PersonCreate.safeParse({ ...form, password: form.password || undefined });
      if (!body.success) throw localIssues(body.error.issues);
      return apiFetch<{ person: Person }>("/api/v1/people", { method: "POST", body: body.data });
    },
    onSuccess: ({ person }) => {
      setDone(`${person.email} added as ${person.role}.`);
      setForm({ name: "", email: "", role: "requester", password: "" });
      router.refresh();
    },
  });
  const issue = formErrors(add.error instanceof ApiError ? add.error : null, PERSON_FIELDS).field;
  return (
    <form
      aria-label="Add person"
      data-testid="add-person-form"
      noValidate
      className="rounded-lg border border-slate-200 bg-white p-4"
      onSubmit={(e) => {
        e.preventDefault();
        setDone(null);
        add.mutate();
      }}
    >
      <h3 className="mb-3 text-sm font-semibold">Add a person</h3>
      <div className="grid gap-3 sm:grid-cols-4">
        <Field label="Name" error={issue("name")}>
          <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} className={inputClass} autoComplete="off" />
        </Field>
        <Field label="Email" error={issue("email")}>
          <input type="email" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} className={inputClass} autoComplete="off" />
        </Field>
        <Field label="Role">
          <select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })} className={inputClass}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Initial password" hint="at least 12 characters; empty = SSO only" error={issue("password")}>
          <input type="password" value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} className={inputClass} autoComplete="new-password" />
        </Field>
      </div>
      <div className="mt-3 flex items-center gap-3">
        <Button type="submit" disabled={add.isPending}>
          {add.isPending ? "Adding…" : "Add person"}
        </Button>
        {done && (
          <p role="status" className="text-sm text-emerald-700">
            {done}
          </p>
        )}
      </div>
      <div className="mt-2">
        <ErrorAlert error={add.error} fields={PERSON_FIELDS} />
      </div>
    </form>
  );
}
