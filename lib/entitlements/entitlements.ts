import type { Prisma } from "@/lib/generated/prisma/client";
import { appendAudit, type AuditActor } from "@/lib/audit/append";
import { ROLES, type Actor } from "@/lib/auth/permissions";
import type { Db, Tx } from "@/lib/db";
import { AppError, notFound } from "@/lib/errors";
import type { EntitlementCreate, EntitlementView } from "@/lib/entitlements/schemas";
import { lockEntitlementChanges, recheckAuthority } from "@/lib/entitlements/recheck";
import { newId } from "@/lib/ids";
import { lockPerson } from "@/lib/people/lock";

type Row = Prisma.EntitlementGetPayload<object>;

async function labels(db: Db | Tx, rows: Row[]): Promise<Map<string, string>> {
  const ids = (t: string) => rows.filter((r) => r.subjectType === t).map((r) => r.subjectId);
  const [groups, people] = await Promise.all([
    db.group.findMany({ where: { id: { in: ids("group") } }, select: { id: true, name: true } }),
    db.user.findMany({ where: { id: { in: ids("person") } }, select: { id: true, email: true } }),
  ]);
  return new Map<string, string>([...groups.map((g) => [g.id, g.name] as const), ...people.map((p) => [p.id, p.email] as const)]);
}

const toView = (r: Row, label: Map<string, string>): EntitlementView => ({
  id: r.id,
  subjectType: r.subjectType as EntitlementView["subjectType"],
  subjectId: r.subjectId,
  subjectLabel: r.subjectType === "role" ? r.subjectId : (label.get(r.subjectId) ?? `(deleted ${r.subjectType})`),
  tools: r.tools,
  maxRisk: r.maxRisk as EntitlementView["maxRisk"],
  environments: r.environments,
  resources: (r.resources as EntitlementView["resources"]) ?? null,
  description: r.description,
  createdAt: r.createdAt.toISOString(),
});

export async function listEntitlements(db: Db): Promise<EntitlementView[]> {
  const rows = await db.entitlement.findMany({ orderBy: [{ subjectType: "asc" }, { subjectId: "asc" }, { id: "asc" }] });
  const label = await labels(db, rows);
  return rows.map((r) => toView(r, label));
}

/** The people an entitlement of this subject applies to now (the caller holds lockEntitlementChanges). */
async function holders(tx: Tx, subjectType: string, subjectId: string): Promise<string[]> {
  if (subjectType === "person") return [subjectId];
  if (subjectType === "group") return (await tx.groupMember.findMany({ where: { groupId: subjectId }, select: { userId: true } })).map((m) => m.userId);
  return (await tx.user.findMany({ where: { role: subjectId }, select: { id: true } })).map((u) => u.id);
}

export async function createEntitlement(db: Db, actor: Actor, input: EntitlementCreate): Promise<{ entitlement: EntitlementView }> {
  const who: AuditActor = { type: "user", id: actor.id, label: actor.email };
  return db.$transaction(async (tx) => {
    await lockEntitlementChanges(tx);
    const issues = [];
    if (input.subjectType === "role" && !(ROLES as readonly string[]).includes(input.subjectId)) issues.push({ path: ["subjectId"], message: `not a role (${ROLES.join(", ")})` });
    if (input.subjectType === "group" && !(await tx.group.findUnique({ where: { id: input.subjectId }, select: { id: true } }))) issues.push({ path: ["subjectId"], message: "no such group" });
    if (input.subjectType === "person" && !(await tx.user.findUnique({ where: { id: input.subjectId }, select: { id: true } }))) issues.push({ path: ["subjectId"], message: "no such person" });
    const named = input.tools.filter((t) => t !== "*");
    const known = new Set((await tx.tool.findMany({ where: { name: { in: named } }, select: { name: true } })).map((t) => t.name));
    input.tools.forEach((t, i) => {
      if (t !== "*" && !known.has(t)) issues.push({ path: ["tools", i], message: `${t} is not in the tool catalog` });
    });
    if (issues.length) throw new AppError("unprocessable", issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "), issues);
    const r = await tx.entitlement.create({
      data: {
        id: newId("ent"),
        subjectType: input.subjectType,
        subjectId: input.subjectId,
        tools: [...new Set(input.tools)],
        maxRisk: input.maxRisk ?? null,
        environments: [...new Set(input.environments)],
        resources: (input.resources ?? undefined) as Prisma.InputJsonValue | undefined,
        description: input.description ?? "",
        createdById: actor.id,
      },
    });
    const view = toView(r, await labels(tx, [r]));
    await appendAudit(tx, { action: "entitlement.created", actor: who, subject: { type: "entitlement", id: r.id }, payload: { entitlement: view } });
    // Only widens what people may delegate; re-checked anyway so every change has one path (and its locks).
    await recheckAuthority(tx, { userIds: await holders(tx, r.subjectType, r.subjectId), actor: who, reason: `entitlement ${r.id} created` });
    return { entitlement: view };
  });
}

/**
 * Deletes every entitlement of a subject that is going away (a deleted group), each audited as
 * entitlement.deleted with the reason. The caller holds lockEntitlementChanges, still has the subject's
 * row (so the audit names it) and re-checks its holders afterwards.
 */
export async function deleteSubjectEntitlements(tx: Tx, who: AuditActor, subject: { type: "group" | "person"; id: string }, reason: string): Promise<string[]> {
  const rows = await tx.entitlement.findMany({ where: { subjectType: subject.type, subjectId: subject.id }, orderBy: { id: "asc" } });
  if (!rows.length) return [];
  const label = await labels(tx, rows);
  await tx.entitlement.deleteMany({ where: { id: { in: rows.map((r) => r.id) } } });
  for (const r of rows) await appendAudit(tx, { action: "entitlement.deleted", actor: who, subject: { type: "entitlement", id: r.id }, payload: { entitlement: toView(r, label), reason } });
  return rows.map((r) => r.id);
}

/**
 * Removes an entitlement: the people it applied to are locked, then their live leases that no longer
 * fit are revoked in the same transaction (an issuance on their authority waits for this, or committed
 * before and is among those re-checked).
 */
export async function deleteEntitlement(db: Db, actor: Actor, id: string) {
  const who: AuditActor = { type: "user", id: actor.id, label: actor.email };
  return db.$transaction(async (tx) => {
    await lockEntitlementChanges(tx);
    const r = await tx.entitlement.findUnique({ where: { id } });
    if (!r) throw notFound(`entitlement ${id}`);
    const people = await holders(tx, r.subjectType, r.subjectId);
    // Lock the holders before the row goes: from here no issuance on their authority reads the old set.
    for (const p of [...people].sort()) await lockPerson(tx, p, "update");
    await tx.entitlement.delete({ where: { id } });
    const rechecked = await recheckAuthority(tx, { userIds: people, actor: who, reason: `entitlement ${id} deleted` });
    await appendAudit(tx, { action: "entitlement.deleted", actor: who, subject: { type: "entitlement", id }, payload: { entitlement: toView(r, await labels(tx, [r])), revokedLeases: rechecked.revokedLeases } });
    return { deleted: id, revokedLeases: rechecked.revokedLeases };
  });
}
