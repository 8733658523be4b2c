import { Prisma } from "@/lib/generated/prisma/client";
import { AppError, notFound, type Issue } from "@/lib/errors";
import { appendAudit, changes } from "@/lib/audit/append";
import type { EnforcementPointActor } from "@/lib/auth/enforcement-point";
import type { Actor } from "@/lib/auth/permissions";
import type { Db, Tx } from "@/lib/db";
import { newId } from "@/lib/ids";
import type { ConnectionCreate, ConnectionPatch, ConnectionTransport, ConnectionView, ToolMapping } from "@/lib/connections/schemas";
import { wrapConnectionSecrets, type ConnectionSecrets } from "@/lib/connections/secrets";
import type { CredentialKind, Inject } from "@/lib/credentials/schemas";

export type ConnectionReader = Actor | EnforcementPointActor;

// The live credentials' names, kinds and where they go (never material): a gateway asks the vault only
// for the connections and calls that need it.
const withAssignments = {
  assignments: { orderBy: { enforcementPointId: "asc" } },
  credentials: { where: { retiredAt: null }, select: { name: true, kind: true, inject: true, tools: true }, orderBy: { name: "asc" } },
} as const;
type Row = Prisma.ConnectionGetPayload<{ include: typeof withAssignments }>;

/** Env/header names only: their values are write-only. A key sees only its own assignment. */
function view(c: Row, reader: ConnectionReader): ConnectionView {
  const t = c.transport as { command?: string; args?: string[]; url?: string; envNames?: string[]; headerNames?: string[] };
  const transport =
    c.transportType === "stdio"
      ? { type: "stdio" as const, command: t.command ?? "", args: t.args ?? [], envNames: t.envNames ?? [] }
      : { type: "http" as const, url: t.url ?? "", headerNames: t.headerNames ?? [] };
  const eps = c.assignments.map((a) => a.enforcementPointId);
  return {
    id: c.id,
    name: c.name,
    transport,
    tools: c.tools as ToolMapping[],
    resources: c.resourcesTool ? { tool: c.resourcesTool } : null,
    prompts: c.promptsTool ? { tool: c.promptsTool } : null,
    enforcementPointIds: reader.kind === "enforcement_point" ? eps.filter((id) => id === reader.id) : eps,
    credentials: c.credentials.map((k) => ({ name: k.name, kind: k.kind as CredentialKind, inject: k.inject as Inject, tools: k.tools })),
    version: c.version,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

/** The stored transport (no values) and the encrypted values, apart. */
function splitTransport(t: ConnectionTransport, id: string) {
  if (t.type === "stdio") {
    const envValues = t.env ?? {};
    const names = Object.keys(envValues).sort();
    const secrets: ConnectionSecrets | null = names.length ? { env: envValues } : null;
    return { transportType: "stdio", transport: { command: t.command, args: t.args, envNames: names }, secrets: secrets ? wrapConnectionSecrets(secrets, id) : Prisma.DbNull };
  }
  const headers = t.headers ?? {};
  const names = Object.keys(headers).sort();
  return { transportType: "http", transport: { url: t.url, headerNames: names }, secrets: names.length ? wrapConnectionSecrets({ headers }, id) : Prisma.DbNull };
}

/** Catalog tools that do not exist and keys that are unknown or revoked are 422, with one issue each. */
async function checkReferences(tx: Tx, input: { tools?: ToolMapping[]; resources?: { tool: string } | null; prompts?: { tool: string } | null; enforcementPointIds?: string[] }) {
  const issues: Issue[] = [];
  const named = [
    ...(input.tools ?? []).map((t, i) => ({ tool: t.tool, path: ["tools", i, "tool"] as (string | number)[] })),
    ...(input.resources ? [{ tool: input.resources.tool, path: ["resources", "tool"] }] : []),
    ...(input.prompts ? [{ tool: input.prompts.tool, path: ["prompts", "tool"] }] : []),
  ];
  if (named.length) {
    const known = new Set((await tx.tool.findMany({ where: { name: { in: [...new Set(named.map((n) => n.tool))] } }, select: { name: true } })).map((t) => t.name));
    for (const n of named) if (!known.has(n.tool)) issues.push({ path: n.path, message: `${n.tool} is not in the tool catalog` });
  }
  const eps = [...new Set(input.enforcementPointIds ?? [])];
  if (eps.length) {
    // Locked so a key revoked meanwhile cannot be assigned after its revocation committed.
    const live = new Set((await tx.$queryRaw<{ id: string }[]>`SELECT "id" FROM "enforcement_points" WHERE "id" = ANY(${eps}) AND "revokedAt" IS NULL FOR SHARE`).map((r) => r.id));
    eps.forEach((id, i) => {
      if (!live.has(id)) issues.push({ path: ["enforcementPointIds", i], message: `${id} is not a live enforcement-point key` });
    });
  }
  if (issues.length) throw new AppError("unprocessable", `${issues[0]!.path.join(".")}: ${issues[0]!.message}`, issues);
}

const userActor = (a: Actor) => ({ type: "user" as const, id: a.id, label: a.email });

/** What the audit log says about a connection: the shape without any env/header value. */
function auditShape(v: ConnectionView) {
  return { name: v.name, transport: v.transport, tools: v.tools, resources: v.resources, prompts: v.prompts, enforcementPointIds: v.enforcementPointIds };
}

export async function listConnections(db: Db, reader: ConnectionReader): Promise<ConnectionView[]> {
  const where = reader.kind === "enforcement_point" ? { assignments: { some: { enforcementPointId: reader.id } } } : {};
  const rows = await db.connection.findMany({ where, include: withAssignments, orderBy: { name: "asc" } });
  return rows.map((r) => view(r, reader));
}

/** A key asking for a connection it is not assigned to gets the same 404 as for an unknown id. */
export async function getConnection(db: Db, reader: ConnectionReader, id: string): Promise<ConnectionView> {
  const where = reader.kind === "enforcement_point" ? { id, assignments: { some: { enforcementPointId: reader.id } } } : { id };
  const row = await db.connection.findFirst({ where, include: withAssignments });
  if (!row) throw notFound(`connection ${id}`);
  return view(row, reader);
}

export async function createConnection(db: Db, actor: Actor, input: ConnectionCreate): Promise<ConnectionView> {
  const id = newId("con");
  return db.$transaction(async (tx) => {
    await checkReferences(tx, input);
    const eps = [...new Set(input.enforcementPointIds)];
    const row = await tx.connection.create({
      data: {
        id,
        name: input.name,
        ...splitTransport(input.transport, id),
        tools: input.tools,
        resourcesTool: input.resources?.tool ?? null,
        promptsTool: input.prompts?.tool ?? null,
        createdById: actor.id,
        assignments: { create: eps.map((enforcementPointId) => ({ enforcementPointId })) },
      },
      include: withAssignments,
    });
    const v = view(row, actor);
    await appendAudit(tx, { action: "connection.created", actor: userActor(actor), subject: { type: "connection", id }, payload: auditShape(v) });
    return v;
  });
}

export async function updateConnection(db: Db, actor: Actor, id: string, patch: ConnectionPatch): Promise<ConnectionView> {
  return db.$transaction(async (tx) => {
    // The row lock orders concurrent edits: each reads the state the previous one committed.
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT "id" FROM "connections" WHERE "id" = ${id} FOR UPDATE`;
    if (!locked.length) throw notFound(`connection ${id}`);
    const before = view(await tx.connection.findUniqueOrThrow({ where: { id }, include: withAssignments }), actor);
    await checkReferences(tx, patch);
    const data: Prisma.ConnectionUpdateInput = { version: { increment: 1 } };
    if (patch.name !== undefined) data.name = patch.name;
    if (patch.transport) Object.assign(data, splitTransport(patch.transport, id));
    if (patch.tools) data.tools = patch.tools;
    if (patch.resources !== undefined) data.resourcesTool = patch.resources?.tool ?? null;
    if (patch.prompts !== undefined) data.promptsTool = patch.prompts?.tool ?? null;
    if (patch.enforcementPointIds) {
      await tx.connectionAssignment.deleteMany({ where: { connectionId: id } });
      data.assignments = { create: [...new Set(patch.enforcementPointIds)].map((enforcementPointId) => ({ enforcementPointId })) };
    }
    const after = view(await tx.connection.update({ where: { id }, data, include: withAssignments }), actor);
    // A new transport may carry new values under the same names: say so without saying what they are.
    const payload: Record<string, unknown> = { changes: changes(auditShape(before), auditShape(after)) };
    if (patch.transport) payload.secretsReplaced = true;
    await appendAudit(tx, { action: "connection.updated", actor: userActor(actor), subject: { type: "connection", id }, payload });
    return after;
  });
}

export async function deleteConnection(db: Db, actor: Actor, id: string): Promise<{ deleted: string }> {
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ name: string }[]>`DELETE FROM "connections" WHERE "id" = ${id} RETURNING "name"`;
    if (!rows.length) throw notFound(`connection ${id}`);
    await appendAudit(tx, { action: "connection.deleted", actor: userActor(actor), subject: { type: "connection", id }, payload: { name: rows[0]!.name } });
    return { deleted: id };
  });
}
