import type { PersonCreate, PersonPatch } from "@/lib/people/schemas";
import { AppError, notFound } from "@/lib/errors";
import { appendAudit, changes } from "@/lib/audit/append";
import { hashPassword } from "@/lib/auth/password";
import type { Actor } from "@/lib/auth/permissions";
import type { Db } from "@/lib/db";
import { newId } from "@/lib/ids";
import { lockPerson } from "@/lib/people/lock";
import { withdrawAuthority } from "@/lib/people/withdraw";
import { lockEntitlementChanges, recheckAuthority } from "@/lib/entitlements/recheck";

type UserRow = { id: string; email: string; name: string; role: string; status: string; lastLoginAt: Date | null; createdAt: Date };
type MembershipRow = { source: string; group: { id: string; name: string } };
export const toPersonView = (u: UserRow & { groups?: MembershipRow[] }) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  status: u.status,
  lastLoginAt: u.lastLoginAt?.toISOString() ?? null,
  createdAt: u.createdAt.toISOString(),
  // Only where groups were read (the list): a create or update answers without them.
  ...(u.groups ? { groups: u.groups.map((m) => ({ id: m.group.id, name: m.group.name, source: m.source })).sort((a, b) => a.name.localeCompare(b.name)) } : {}),
});

export async function listPeople(db: Db) {
  const people = await db.user.findMany({ orderBy: { email: "asc" }, include: { groups: { select: { source: true, group: { select: { id: true, name: true } } } } } });
  return people.map(toPersonView);
}

export async function createPerson(db: Db, actor: Actor, input: PersonCreate) {
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  return db.$transaction(async (tx) => {
    const u = await tx.user.create({ data: { id: newId("usr"), email: input.email, name: input.name, role: input.role, passwordHash } });
    const view = toPersonView(u);
    await appendAudit(tx, { action: "person.created", actor: { type: "user", id: actor.id, label: actor.email }, subject: { type: "user", id: u.id }, payload: { after: view, password: Boolean(passwordHash) } });
    return view;
  });
}

/** Changing a role or disabling a person bumps sessionVersion, which ends their open sessions. */
export async function updatePerson(db: Db, actor: Actor, id: string, patch: PersonPatch) {
  if (id === actor.id && (patch.status === "disabled" || (patch.role && patch.role !== "admin"))) {
    throw new AppError("unprocessable", "You cannot disable yourself or take away your own admin role");
  }
  const passwordHash = patch.password ? await hashPassword(patch.password) : undefined;
  return db.$transaction(async (tx) => {
    // A role change changes what the person may delegate: serialised with entitlement changes (taken before any person's row).
    if (patch.role) await lockEntitlementChanges(tx);
    // Locked first: a lease issued or a vote cast on this person's authority meanwhile either commits
    // before us (and is withdrawn below) or waits and sees them disabled.
    if (!(await lockPerson(tx, id, "update"))) throw notFound(`person ${id}`);
    const before = await tx.user.findUnique({ where: { id } });
    if (!before) throw notFound(`person ${id}`);
    const endsSessions = (patch.status && patch.status !== before.status) || (patch.role && patch.role !== before.role) || Boolean(passwordHash);
    const u = await tx.user.update({
      where: { id },
      data: { name: patch.name, role: patch.role, status: patch.status, passwordHash, ...(endsSessions ? { sessionVersion: { increment: 1 } } : {}) },
    });
    const view = toPersonView(u);
    const diff = changes(toPersonView(before), view);
    const action = patch.status === "disabled" && before.status !== "disabled" ? "person.disabled" : patch.role && patch.role !== before.role ? "person.role_changed" : "person.updated";
    const who = { type: "user" as const, id: actor.id, label: actor.email };
    const withdrawn = action === "person.disabled" ? await withdrawAuthority(tx, id, who) : undefined;
    // A new role may delegate less: the leases they delegated that no longer fit are revoked (issue 15).
    const rechecked = action === "person.role_changed" ? await recheckAuthority(tx, { userIds: [id], actor: who, reason: `role changed from ${before.role} to ${u.role}` }) : undefined;
    await appendAudit(tx, { action, actor: who, subject: { type: "user", id }, payload: { changes: diff, passwordChanged: Boolean(passwordHash), sessionsEnded: Boolean(endsSessions), ...withdrawn, ...(rechecked ? { revokedLeases: rechecked.revokedLeases } : {}) } });
    return view;
  });
}
