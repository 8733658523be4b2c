import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { GET as listRoute } from "@/app/api/v1/connections/route";
import { GET as getRoute } from "@/app/api/v1/connections/[id]/route";
import { toErrorResponse } from "@/lib/api/error-response";
import { can } from "@/lib/auth/permissions";
import { createConnection, deleteConnection, getConnection, listConnections, updateConnection } from "@/lib/connections/connections";
import { ConnectionCreate } from "@/lib/connections/schemas";
import { unwrapConnectionSecrets } from "@/lib/connections/secrets";
import { db } from "@/lib/db";
import { seedCatalog } from "@/prisma/seed";
import { seedEnforcementPoint, seedPerson } from "@/test/factories";

const SECRET = "ghp_super-secret-value-1234567890";
const uniq = () => `fs-${Math.random().toString(36).slice(2, 10)}`;
const body = (over: Record<string, unknown> = {}) =>
  ConnectionCreate.parse({
    name: uniq(),
    transport: { type: "stdio", command: "npx", args: ["@modelcontextprotocol/server-filesystem", "/tmp"], env: { GITHUB_TOKEN: SECRET } },
    tools: [{ upstream: "read_file", tool: "repo.read", resource: { type: "path", argument: "path" } }],
    ...over,
  });

const get = (handler: typeof listRoute, url: string, key: string, params: Record<string, string> = {}) =>
  handler(new NextRequest(`http://localhost${url}`, { headers: { authorization: `Bearer ${key}` } }), { params: Promise.resolve(params) });

describe("connections", () => {
  it("only admins manage them", () => {
    expect(can({ role: "admin" }, "connections.manage")).toBe(true);
    for (const role of ["approver", "auditor", "requester"]) expect(can({ role }, "connections.manage")).toBe(false);
  });

  it("store env values encrypted and write-only: no view, audit event or key response carries them", async () => {
    await seedCatalog(db());
    const admin = await seedPerson(db(), { role: "admin" });
    const ep = await seedEnforcementPoint(db(), ["connections:read"]);
    const c = await createConnection(db(), admin, body({ enforcementPointIds: [ep.actor.id] }));
    expect(c.transport).toEqual({ type: "stdio", command: "npx", args: ["@modelcontextprotocol/server-filesystem", "/tmp"], envNames: ["GITHUB_TOKEN"] });
    expect(c.enforcementPointIds).toEqual([ep.actor.id]);
    const row = await db().connection.findUniqueOrThrow({ where: { id: c.id } });
    expect(JSON.stringify(row)).not.toContain(SECRET);
    expect(unwrapConnectionSecrets(row.secrets, c.id)).toEqual({ env: { GITHUB_TOKEN: SECRET } });
    // The ciphertext is bound to its row: copied onto another connection it does not open.
    expect(() => unwrapConnectionSecrets(row.secrets, "con_other")).toThrow(/do not decrypt/);
    const events = await db().auditEvent.findMany({ where: { subjectId: c.id } });
    expect(events.map((e) => e.action)).toEqual(["connection.created"]);
    expect(JSON.stringify(events.map((e) => e.payload))).not.toContain(SECRET);

    const res = await get(getRoute, `/api/v1/connections/${c.id}`, ep.key, { id: c.id });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text).connection).toMatchObject({ id: c.id, transport: { envNames: ["GITHUB_TOKEN"] }, tools: [{ upstream: "read_file", tool: "repo.read" }] });
  });

  it("a key reads only the connections assigned to it; without connections:read it reads none", async () => {
    await seedCatalog(db());
    const admin = await seedPerson(db(), { role: "admin" });
    const a = await seedEnforcementPoint(db(), ["connections:read"]);
    const b = await seedEnforcementPoint(db(), ["connections:read"]);
    const mine = await createConnection(db(), admin, body({ enforcementPointIds: [a.actor.id, b.actor.id] }));
    const theirs = await createConnection(db(), admin, body({ enforcementPointIds: [b.actor.id] }));

    const listed = await (await get(listRoute, "/api/v1/connections", a.key)).json();
    expect(listed.connections.map((c: { id: string }) => c.id)).toEqual([mine.id]);
    // A key does not learn which other keys serve a connection.
    expect(listed.connections[0].enforcementPointIds).toEqual([a.actor.id]);
    expect((await get(getRoute, `/api/v1/connections/${theirs.id}`, a.key, { id: theirs.id })).status).toBe(404);
    expect((await listConnections(db(), b.actor)).map((c) => c.id).sort()).toEqual([mine.id, theirs.id].sort());

    const noScope = await seedEnforcementPoint(db(), ["decisions:write"]);
    const refused = await get(listRoute, "/api/v1/connections", noScope.key);
    expect(refused.status).toBe(403);
    expect((await refused.json()).error.code).toBe("forbidden");
  });

  it("refuse unknown catalog tools and dead keys (422), a taken name (409), an upstream mapped twice (400)", async () => {
    await seedCatalog(db());
    const admin = await seedPerson(db(), { role: "admin" });
    const ep = await seedEnforcementPoint(db(), ["connections:read"]);
    await db().enforcementPoint.update({ where: { id: ep.actor.id }, data: { revokedAt: new Date() } });
    await expect(createConnection(db(), admin, body({ tools: [{ upstream: "x", tool: "nope.nothing" }] }))).rejects.toMatchObject({ status: 422, issues: [{ path: ["tools", 0, "tool"] }] });
    await expect(createConnection(db(), admin, body({ enforcementPointIds: [ep.actor.id] }))).rejects.toMatchObject({ status: 422, issues: [{ path: ["enforcementPointIds", 0] }] });
    await expect(createConnection(db(), admin, body({ resources: { tool: "nope.nothing" } }))).rejects.toMatchObject({ status: 422 });
    const taken = await createConnection(db(), admin, body());
    // A unique violation reaches the one error mapper, which answers 409.
    const dup = await createConnection(db(), admin, body({ name: taken.name })).catch((e: unknown) => e);
    expect(toErrorResponse(dup).status).toBe(409);
    const twice = ConnectionCreate.safeParse({ name: uniq(), transport: { type: "http", url: "http://127.0.0.1:1/mcp" }, tools: [{ upstream: "a", tool: "repo.read" }, { upstream: "a", tool: "repo.commit" }] });
    expect(twice.success).toBe(false);
    expect(ConnectionCreate.safeParse({ name: uniq(), transport: { type: "http", url: "http://x/mcp", headers: { "x-a": "one\r\nInjected: 1" } } }).success).toBe(false);
    // Nothing half-made: the refused creations left no rows.
    expect(await db().auditEvent.count({ where: { action: "connection.created", subjectId: taken.id } })).toBe(1);
  });

  it("edits bump the version, reassign keys and audit what changed; deletes are audited; a key loses access", async () => {
    await seedCatalog(db());
    const admin = await seedPerson(db(), { role: "admin" });
    const a = await seedEnforcementPoint(db(), ["connections:read"]);
    const b = await seedEnforcementPoint(db(), ["connections:read"]);
    const c = await createConnection(db(), admin, body({ enforcementPointIds: [a.actor.id] }));
    const edited = await updateConnection(db(), admin, c.id, {
      transport: { type: "http", url: "http://127.0.0.1:9/mcp", headers: { Authorization: `Bearer ${SECRET}` } },
      prompts: { tool: "repo.read" },
      enforcementPointIds: [b.actor.id],
    });
    expect(edited).toMatchObject({ version: 2, transport: { type: "http", url: "http://127.0.0.1:9/mcp", headerNames: ["Authorization"] }, prompts: { tool: "repo.read" }, enforcementPointIds: [b.actor.id] });
    await expect(getConnection(db(), a.actor, c.id)).rejects.toMatchObject({ status: 404 });
    expect((await getConnection(db(), b.actor, c.id)).version).toBe(2);
    const update = await db().auditEvent.findFirstOrThrow({ where: { subjectId: c.id, action: "connection.updated" } });
    expect(JSON.stringify(update.payload)).not.toContain(SECRET);
    expect(update.payload).toMatchObject({ secretsReplaced: true, changes: { enforcementPointIds: { from: [a.actor.id], to: [b.actor.id] } } });
    await expect(updateConnection(db(), admin, "con_missing", { name: uniq() })).rejects.toMatchObject({ status: 404 });

    await deleteConnection(db(), admin, c.id);
    await expect(getConnection(db(), admin, c.id)).rejects.toMatchObject({ status: 404 });
    await expect(deleteConnection(db(), admin, c.id)).rejects.toMatchObject({ status: 404 });
    expect(await db().connectionAssignment.count({ where: { connectionId: c.id } })).toBe(0);
    const actions = (await db().auditEvent.findMany({ where: { subjectId: c.id }, orderBy: { seq: "asc" } })).map((e) => e.action);
    expect(actions).toEqual(["connection.created", "connection.updated", "connection.deleted"]);
  });
});
