import { Prisma } from "@/lib/generated/prisma/client";
import { AppError, notFound } from "@/lib/errors";
import { appendAudit } from "@/lib/audit/append";
import type { Actor } from "@/lib/auth/permissions";
import { now } from "@/lib/clock";
import type { Db, Tx } from "@/lib/db";
import { newId } from "@/lib/ids";
import { seal } from "@/lib/credentials/secret";
import type { CredentialCreate, CredentialKind, CredentialRotate, CredentialView, Inject } from "@/lib/credentials/schemas";

type Row = Prisma.CredentialGetPayload<{ omit: { secret: true } }>;

const userActor = (a: Actor) => ({ type: "user" as const, id: a.id, label: a.email });

export function credentialView(c: Row): CredentialView {
  return {
    id: c.id,
    connectionId: c.connectionId,
    name: c.name,
    kind: c.kind as CredentialKind,
    inject: c.inject as Inject,
    tools: c.tools,
    config: c.config as Record<string, unknown>,
    version: c.version,
    createdAt: c.createdAt.toISOString(),
    rotatedAt: c.rotatedAt?.toISOString() ?? null,
    retiredAt: c.retiredAt?.toISOString() ?? null,
  };
}

/** What the audit log says about a credential: everything but its material. */
const auditShape = (v: CredentialView) => ({ connectionId: v.connectionId, name: v.name, kind: v.kind, inject: v.inject, tools: v.tools, config: v.config, version: v.version });

/** The secret part and the plain part of a creation, apart. */
function split(input: CredentialCreate): { config: Record<string, unknown>; material: Record<string, string> | null } {
  if (input.kind === "static") return { config: {}, material: { value: input.value } };
  if (input.kind === "obo") return { config: { audience: input.audience, ttlSeconds: input.ttlSeconds }, material: null };
  return { config: { groupRole: input.groupRole, database: input.database }, material: { adminUrl: input.adminUrl } };
}

/** Locks the connection (so a concurrent edit of its tool mapping is ordered) and checks the tools are ones it maps. */
async function lockConnection(tx: Tx, connectionId: string, tools?: string[]) {
  const rows = await tx.$queryRaw<{ tools: { tool: string }[]; resourcesTool: string | null; promptsTool: string | null }[]>`
    SELECT "tools", "resourcesTool", "promptsTool" FROM "connections" WHERE "id" = ${connectionId} FOR SHARE`;
  if (!rows.length) throw notFound(`connection ${connectionId}`);
  if (!tools) return;
  const c = rows[0]!;
  const mapped = new Set([...c.tools.map((t) => t.tool), c.resourcesTool, c.promptsTool].filter((t): t is string => !!t));
  const issues = tools.flatMap((t, i) => (mapped.has(t) ? [] : [{ path: ["tools", i], message: `${t} is not a tool connection ${connectionId} maps` }]));
  if (issues.length) throw new AppError("unprocessable", `${issues[0]!.path.join(".")}: ${issues[0]!.message}`, issues);
}

export async function listCredentials(db: Db, connectionId: string): Promise<CredentialView[]> {
  if (!(await db.connection.findUnique({ where: { id: connectionId }, select: { id: true } }))) throw notFound(`connection ${connectionId}`);
  const rows = await db.credential.findMany({ where: { connectionId }, orderBy: [{ retiredAt: { sort: "desc", nulls: "first" } }, { name: "asc" }] });
  return rows.map(credentialView);
}

/** A taken name (among credentials not retired) reaches the one error mapper as a unique violation: 409. */
export async function createCredential(db: Db, actor: Actor, connectionId: string, input: CredentialCreate): Promise<CredentialView> {
  const id = newId("crd");
  const { config, material } = split(input);
  return db.$transaction(async (tx) => {
    await lockConnection(tx, connectionId, input.tools);
    const row = await tx.credential.create({
      data: {
        id,
        connectionId,
        name: input.name,
        kind: input.kind,
        inject: input.inject,
        tools: [...new Set(input.tools)],
        config: config as Prisma.InputJsonValue,
        secret: material ? seal(material, "credential", id) : Prisma.DbNull,
        createdById: actor.id,
      },
    });
    const v = credentialView(row);
    await appendAudit(tx, { action: "credential.created", actor: userActor(actor), subject: { type: "credential", id }, payload: auditShape(v) });
    return v;
  });
}

/** New material for the next release; a release under way keeps what it read. */
export async function rotateCredential(db: Db, actor: Actor, connectionId: string, id: string, input: CredentialRotate): Promise<CredentialView> {
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ kind: string }[]>`
      SELECT "kind" FROM "credentials" WHERE "id" = ${id} AND "connectionId" = ${connectionId} AND "retiredAt" IS NULL FOR UPDATE`;
    if (!rows.length) throw notFound(`credential ${id}`);
    const kind = rows[0]!.kind;
    let material: Record<string, string>;
    if (kind === "static" && "value" in input) material = { value: input.value };
    else if (kind === "postgres-dynamic" && "adminUrl" in input) material = { adminUrl: input.adminUrl };
    else throw new AppError("unprocessable", kind === "obo" ? "an obo credential holds no secret: its tokens are signed with Lanyard's keys (rotate those)" : `a ${kind} credential is rotated with ${kind === "static" ? "value" : "adminUrl"}`);
    const row = await tx.credential.update({ where: { id }, data: { secret: seal(material, "credential", id), version: { increment: 1 }, rotatedAt: now() } });
    const v = credentialView(row);
    await appendAudit(tx, { action: "credential.rotated", actor: userActor(actor), subject: { type: "credential", id }, payload: { connectionId, name: v.name, kind: v.kind, version: v.version } });
    return v;
  });
}

/**
 * Retired: released no more, its material erased. Dynamic logins already made keep their own copy of
 * what drops them, so they still end with their leases.
 */
export async function retireCredential(db: Db, actor: Actor, connectionId: string, id: string): Promise<CredentialView> {
  return db.$transaction(async (tx) => {
    const rows = await tx.credential.updateManyAndReturn({ where: { id, connectionId, retiredAt: null }, data: { retiredAt: now(), secret: Prisma.DbNull } });
    if (!rows.length) throw notFound(`credential ${id}`);
    const v = credentialView(rows[0]!);
    await appendAudit(tx, { action: "credential.retired", actor: userActor(actor), subject: { type: "credential", id }, payload: { connectionId, name: v.name, kind: v.kind } });
    return v;
  });
}
