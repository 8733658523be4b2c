import { Prisma } from "@/lib/generated/prisma/client";
import type { GroupCreate, GroupPatch, GroupView } from "@/lib/groups/schemas";
import { AppError, notFound } from "@/lib/errors";
import { appendAudit, changes, type AuditActor } from "@/lib/audit/append";
import type { Actor } from "@/lib/auth/permissions";
import type { Db, Tx } from "@/lib/db";
import { newId } from "@/lib/ids";
import { lockPerson } from "@/lib/people/lock";
import { lockEntitlementChanges, recheckAuthority } from "@/lib/entitlements/recheck";
import { deleteSubjectEntitlements } from "@/lib/entitlements/entitlements";
import { parsePolicies } from "@/lib/policy/text";

type GroupRow = { id: string; name: string; description: string; source: string; createdAt: Date; updatedAt: Date };
type MemberRow = { userId: string; source: string; user: { email: string; name: string } };

const withMembers = { members: { include: { user: { select: { email: true, name: true } } }, orderBy: { user: { email: "asc" } } } } as const;

export const toGroupView = (g: GroupRow & { members: MemberRow[] }): GroupView => ({
  id: g.id,
  name: g.name,
  description: g.description,
  source: g.source === "sso" ? "sso" : "local",
  members: g.members.map((m) => ({ userId: m.userId, email: m.user.email, name: m.user.name, source: m.source === "sso" ? "sso" : "local" })),
  createdAt: g.createdAt.toISOString(),
  updatedAt: g.updatedAt.toISOString(),
});

const who = (actor: Actor): AuditActor => ({ type: "user", id: actor.id, label: actor.email });

export async function listGroups(db: Db) {
  return (await db.group.findMany({ orderBy: { name: "asc" }, include: withMembers })).map(toGroupView);
}

export async function getGroup(db: Db | Tx, id: string) {
  const g = await db.group.findUnique({ where: { id }, include: withMembers });
  if (!g) throw notFound(`group ${id}`);
  return toGroupView(g);
}

/**
 * Locks a group's row (null: no such group). Lock order of everything that changes memberships: the
 * entitlement-change lock (lockEntitlementChanges), the group, then the person (lib/people/lock.ts), then
 * what recheckAuthority locks. Deleting takes it FOR UPDATE, a membership change FOR SHARE.
 */
async function lockGroup(tx: Tx, id: string, mode: "share" | "update") {
  const rows = await tx.$queryRaw<{ id: string; source: string }[]>(
    mode === "update"
      ? Prisma.sql`SELECT "id", "source" FROM "groups" WHERE "id" = ${id} FOR UPDATE`
      : Prisma.sql`SELECT "id", "source" FROM "groups" WHERE "id" = ${id} FOR SHARE`,
  );
  return rows[0] ?? null;
}

export async function createGroup(db: Db, actor: Actor, input: GroupCreate) {
  return db.$transaction(async (tx) => {
    const g = await tx.group.create({ data: { id: newId("grp"), name: input.name, description: input.description ?? "", source: "local" }, include: withMembers });
    const view = toGroupView(g);
    await appendAudit(tx, { action: "group.created", actor: who(actor), subject: { type: "group", id: g.id }, payload: { after: { name: view.name, description: view.description, source: view.source } } });
    return view;
  });
}

/** The ids of the policies in `text` that name `Group::"<name>"` anywhere (scope or condition). */
export function policiesNamingGroup(text: string, name: string): string[] {
  const parsed = parsePolicies(text);
  // A published text parses; if it ever did not, every policy is assumed to name the group.
  if (!parsed.ok) return ["(unparsable policy text)"];
  const names = (e: unknown): boolean => {
    if (!e || typeof e !== "object") return false;
    if (Array.isArray(e)) return e.some(names);
    const o = e as Record<string, unknown>;
    const ent = (o.__entity ?? o) as { type?: unknown; id?: unknown };
    if (ent.type === "Group" && ent.id === name) return true;
    return Object.values(o).some(names);
  };
  return parsed.policies.filter((p) => names(p.json)).map((p) => p.id);
}

/** Renames or re-describes a group. An SSO group keeps the provider's name: renamed, the next sign-in would make it anew. */
export async function updateGroup(db: Db, actor: Actor, id: string, patch: GroupPatch) {
  return db.$transaction(async (tx) => {
    const before = await tx.group.findUnique({ where: { id } });
    if (!before) throw notFound(`group ${id}`);
    if (before.source === "sso" && patch.name !== undefined && patch.name !== before.name) {
      throw new AppError("unprocessable", "An SSO group is named by the identity provider's claim and cannot be renamed");
    }
    if (patch.name !== undefined && patch.name !== before.name) {
      // Policies name groups (Group::"<name>"): renamed, a forbid `when { context.delegator in Group::"contractors" }`
      // would silently stop firing for its members. Change the policy first.
      const live = await tx.policyVersion.findFirst({ orderBy: { version: "desc" }, select: { version: true, text: true } });
      const naming = live ? policiesNamingGroup(live.text, before.name) : [];
      if (naming.length) {
        throw new AppError("conflict", `policy version ${live!.version} names group ${before.name} (${naming.join(", ")}): renamed, those policies would no longer apply to its members; change them first`, [{ path: ["name"], message: `named by policy ${naming.join(", ")}` }]);
      }
    }
    const g = await tx.group.update({ where: { id }, data: { name: patch.name, description: patch.description }, include: withMembers });
    const pick = (r: GroupRow) => ({ name: r.name, description: r.description });
    await appendAudit(tx, { action: "group.updated", actor: who(actor), subject: { type: "group", id }, payload: { changes: changes(pick(before), pick(g)) } });
    return toGroupView(g);
  });
}

/** Deletes a group and its memberships; what its members may delegate is re-checked in the same transaction. */
export async function deleteGroup(db: Db, actor: Actor, id: string) {
  return db.$transaction(async (tx) => {
    // Memberships change under the entitlement-change lock only, so the member list read here is the one deleted.
    await lockEntitlementChanges(tx);
    if (!(await lockGroup(tx, id, "update"))) throw notFound(`group ${id}`);
    const before = await getGroup(tx, id);
    const userIds = before.members.map((m) => m.userId);
    // Its entitlements go with it (before the row, so their audit names the group); the recheck below covers their holders.
    await deleteSubjectEntitlements(tx, who(actor), { type: "group", id }, `group ${before.name} deleted`);
    await tx.group.delete({ where: { id } });
    await appendAudit(tx, { action: "group.deleted", actor: who(actor), subject: { type: "group", id }, payload: { name: before.name, source: before.source, members: userIds } });
    await recheckAuthority(tx, { userIds, actor: who(actor), reason: `group ${before.name} deleted` });
    return { deleted: id };
  });
}

/** Makes the person a local member (idempotent; an SSO membership becomes local, so sign-ins no longer remove it). */
export async function addMember(db: Db, actor: Actor, id: string, userId: string) {
  return db.$transaction(async (tx) => {
    await lockEntitlementChanges(tx);
    if (!(await lockGroup(tx, id, "share"))) throw notFound(`group ${id}`);
    if (!(await lockPerson(tx, userId, "update"))) throw notFound(`person ${userId}`);
    const existing = await tx.groupMember.findUnique({ where: { groupId_userId: { groupId: id, userId } } });
    if (existing?.source !== "local") {
      await tx.groupMember.upsert({ where: { groupId_userId: { groupId: id, userId } }, create: { groupId: id, userId, source: "local" }, update: { source: "local" } });
      await appendAudit(tx, { action: "group.member_added", actor: who(actor), subject: { type: "group", id }, payload: { userId, source: "local", ...(existing ? { was: existing.source } : {}) } });
      await recheckAuthority(tx, { userIds: [userId], actor: who(actor), reason: "group membership changed" });
    }
    return getGroup(tx, id);
  });
}

export async function removeMember(db: Db, actor: Actor, id: string, userId: string) {
  return db.$transaction(async (tx) => {
    await lockEntitlementChanges(tx);
    const g = await lockGroup(tx, id, "share");
    if (!g) throw notFound(`group ${id}`);
    if (!(await lockPerson(tx, userId, "update"))) throw notFound(`person ${userId}`);
    const gone = await tx.groupMember.deleteMany({ where: { groupId: id, userId } });
    if (gone.count === 0) throw notFound(`membership of ${userId} in group ${id}`);
    const view = await getGroup(tx, id);
    await appendAudit(tx, { action: "group.member_removed", actor: who(actor), subject: { type: "group", id }, payload: { userId, group: view.name } });
    await recheckAuthority(tx, { userIds: [userId], actor: who(actor), reason: `removed from group ${view.name}` });
    return view;
  });
}
