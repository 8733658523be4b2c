import { Prisma } from "@/lib/generated/prisma/client";
import { appendAudit, type AuditActor } from "@/lib/audit/append";
import type { Db } from "@/lib/db";
import { newId } from "@/lib/ids";
import { lockPerson } from "@/lib/people/lock";
import { lockEntitlementChanges, recheckAuthority } from "@/lib/entitlements/recheck";

const NAME = /^[a-z0-9._-]{1,64}$/;
/** More than this many group names in one claim is not a person's groups; the rest are ignored (and counted). */
export const MAX_SSO_GROUPS = 200;

/**
 * The group names a claim carries: strings, trimmed and lowercased; names a group cannot have
 * (spaces, over 64 characters, a directory's GUID with braces…) are left out and counted. A missing or
 * malformed claim is no groups: some providers omit the claim when a person has none, so its absence
 * must take away what an earlier sign-in gave.
 */
export function groupNamesFromClaim(claim: unknown): { names: string[]; ignored: number } {
  const raw = Array.isArray(claim) ? claim : typeof claim === "string" ? [claim] : [];
  const names = new Set<string>();
  let ignored = 0;
  for (const v of raw) {
    const n = typeof v === "string" ? v.trim().toLowerCase() : "";
    if (NAME.test(n) && names.size < MAX_SSO_GROUPS) names.add(n);
    else ignored++;
  }
  return { names: [...names].sort(), ignored };
}

export type SsoSyncResult = { added: string[]; removed: string[]; created: string[]; ignored: number };

/**
 * At an OIDC sign-in: makes the person's SSO memberships exactly the claim's groups, creating the missing
 * groups (source 'sso'). Local memberships are left alone (a group the person is a local member of stays
 * local). A group of that name made locally is joined too: the provider is who vouches for the person.
 * Audited (group.created per new group, group.sso_synced when memberships change) and followed by a
 * re-check of what the person may delegate, in the same transaction. Unknown email: nothing (null).
 */
export async function syncSsoGroups(db: Db, email: string, claim: unknown): Promise<SsoSyncResult | null> {
  const { names, ignored } = groupNamesFromClaim(claim);
  return db.$transaction(async (tx) => {
    const person = await tx.user.findUnique({ where: { email: email.toLowerCase() }, select: { id: true, email: true } });
    if (!person) return null;
    // Memberships change only under this lock (lib/entitlements/recheck.ts), taken before any row lock.
    await lockEntitlementChanges(tx);
    const actor: AuditActor = { type: "system", label: `sso sign-in of ${person.email}`.slice(0, 200) };
    const created: string[] = [];
    for (const name of names) {
      // One statement per name: a concurrent sign-in making the same group wins quietly (ON CONFLICT).
      const id = newId("grp");
      const n = await tx.$executeRaw(
        Prisma.sql`INSERT INTO "groups" ("id", "name", "source", "updatedAt") VALUES (${id}, ${name}, 'sso', now()) ON CONFLICT ("name") DO NOTHING`,
      );
      if (n === 1) {
        created.push(name);
        await appendAudit(tx, { action: "group.created", actor, subject: { type: "group", id }, payload: { after: { name, description: "", source: "sso" } } });
      }
    }
    // Lock order (lib/groups/groups.ts): the groups, then the person. FOR SHARE: a group being deleted is waited for, then not found.
    const groups = names.length
      ? await tx.$queryRaw<{ id: string; name: string }[]>(Prisma.sql`SELECT "id", "name" FROM "groups" WHERE "name" IN (${Prisma.join(names)}) ORDER BY "id" FOR SHARE`)
      : [];
    if (!(await lockPerson(tx, person.id, "update"))) return null;
    const current = await tx.groupMember.findMany({ where: { userId: person.id }, select: { groupId: true, source: true, group: { select: { name: true } } } });
    const local = new Set(current.filter((m) => m.source !== "sso").map((m) => m.groupId));
    const sso = new Map(current.filter((m) => m.source === "sso").map((m) => [m.groupId, m.group.name]));
    const wanted = new Map(groups.filter((g) => !local.has(g.id)).map((g) => [g.id, g.name]));
    const toAdd = [...wanted].filter(([id]) => !sso.has(id));
    const toRemove = [...sso].filter(([id]) => !wanted.has(id));
    if (toAdd.length) await tx.groupMember.createMany({ data: toAdd.map(([groupId]) => ({ groupId, userId: person.id, source: "sso" })), skipDuplicates: true });
    if (toRemove.length) await tx.groupMember.deleteMany({ where: { userId: person.id, source: "sso", groupId: { in: toRemove.map(([id]) => id) } } });
    const result = { added: toAdd.map(([, n]) => n).sort(), removed: toRemove.map(([, n]) => n).sort(), created, ignored };
    if (toAdd.length || toRemove.length) {
      await appendAudit(tx, { action: "group.sso_synced", actor, subject: { type: "user", id: person.id }, payload: result });
      await recheckAuthority(tx, { userIds: [person.id], actor, reason: "group memberships changed at an SSO sign-in" });
    }
    return result;
  });
}
