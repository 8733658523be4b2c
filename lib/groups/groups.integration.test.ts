// Groups (issue 15): the admin routes' lib calls and schemas, audited, and a membership change or a group's
// deletion re-checking what its members may delegate (their live leases revoked when they no longer fit).
import { NextRequest } from "next/server";
import { beforeAll, describe, expect, it } from "vitest";
import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { db } from "@/lib/db";
import { newId } from "@/lib/ids";
import { addMember, createGroup, deleteGroup, getGroup, listGroups, removeMember, updateGroup } from "@/lib/groups/groups";
import { issueLease } from "@/lib/leases/issue";
import { listPeople } from "@/lib/people/people";
import { seedAgent, seedEnforcementPoint, seedPerson } from "@/test/factories";
import type { Actor } from "@/lib/auth/permissions";

const uniq = () => Math.random().toString(36).slice(2, 10);

// The routes take a console session, which only Next's request scope carries: the same operations
// (schemas, error mapping) and lib calls, opened to the test's key (as in hostile-input.integration.test.ts).
const asKey = <T extends object>(op: T) => ({ ...op, auth: "enforcement-point" as const, scope: "decisions:write" as const });
let key: string;
let admin: Actor;
beforeAll(async () => {
  key = (await seedEnforcementPoint(db())).key;
  admin = await seedPerson(db(), { role: "admin" });
});
type Handler = (req: NextRequest, ctx: { params: Promise<unknown> }) => Promise<Response>;
const call = (h: Handler, method: string, params: Record<string, string>, body?: unknown) =>
  h(new NextRequest("http://localhost/api/v1/groups", { method, headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: body === undefined ? undefined : JSON.stringify(body) }), { params: Promise.resolve(params) });

/** A requester (default: up to medium risk) whose group alone lets them delegate pull_request.merge (high), and a lease of theirs using it. */
async function delegatorThroughGroup() {
  const person = await seedPerson(db(), { role: "requester" });
  const group = await createGroup(db(), admin, { name: `mergers-${uniq()}` });
  const entitlementId = newId("ent");
  await db().entitlement.create({ data: { id: entitlementId, subjectType: "group", subjectId: group.id, tools: ["pull_request.merge"], environments: ["*"] } });
  await addMember(db(), admin, group.id, person.id);
  const agent = await seedAgent(db());
  const issued = await issueLease(db(), person, {
    agentId: agent.id, purpose: "merge", environment: "staging", grants: [{ tool: "pull_request.merge" }],
    deny: [], requireApproval: [], expiresIn: 600, maxToolCalls: 10, maxDelegationDepth: 0,
  } as never);
  const leaseId = (issued as { lease: { id: string } }).lease.id;
  const before = await db().lease.findUniqueOrThrow({ where: { id: leaseId } });
  expect(["active", "pending_approval"]).toContain(before.status);
  return { person, group, leaseId, entitlementId };
}

describe("groups", () => {
  it("create, rename, describe, list and get; each audited; names are validated", async () => {
    const name = `team-${uniq()}`;
    const g = await createGroup(db(), admin, { name, description: "the team" });
    expect(g).toMatchObject({ name, description: "the team", source: "local", members: [] });
    const renamed = await updateGroup(db(), admin, g.id, { name: `${name}.renamed`, description: "still the team" });
    expect(renamed).toMatchObject({ name: `${name}.renamed`, description: "still the team" });
    expect((await listGroups(db())).find((x) => x.id === g.id)?.name).toBe(`${name}.renamed`);
    expect((await getGroup(db(), g.id)).name).toBe(`${name}.renamed`);
    const events = await db().auditEvent.findMany({ where: { subjectId: g.id }, orderBy: { seq: "asc" } });
    expect(events.map((e) => e.action)).toEqual(["group.created", "group.updated"]);
    expect(events[1]!.payload).toMatchObject({ changes: { name: { from: name, to: `${name}.renamed` } } });
    expect(events[0]).toMatchObject({ actorId: admin.id, actorType: "user" });

    const create = withApi(asKey(operations.createGroup), async ({ body }) => ({ group: await createGroup(db(), admin, body) }));
    for (const bad of ["Upper", "has space", "", "x".repeat(65), "ümlaut"]) {
      const res = await call(create, "POST", {}, { name: bad });
      expect(res.status, bad).toBe(400);
      expect((await res.json()).error.code).toBe("invalid_request");
    }
    const dup = await call(create, "POST", {}, { name: `${name}.renamed` });
    expect(dup.status).toBe(409);
    const patch = withApi(asKey(operations.updateGroup), async ({ params, body }) => ({ group: await updateGroup(db(), admin, params.id, body) }));
    expect((await call(patch, "PATCH", { id: "grp_nosuch" }, { description: "x" })).status).toBe(404);
    expect((await call(patch, "PATCH", { id: g.id }, {})).status).toBe(400);
  });

  it("members: added (idempotent), shown in the people list, removed; unknown person or group is 404", async () => {
    const g = await createGroup(db(), admin, { name: `members-${uniq()}` });
    const p = await seedPerson(db());
    await addMember(db(), admin, g.id, p.id);
    const again = await addMember(db(), admin, g.id, p.id);
    expect(again.members).toEqual([{ userId: p.id, email: p.email, name: p.name, source: "local" }]);
    expect((await listPeople(db())).find((x) => x.id === p.id)?.groups).toEqual([{ id: g.id, name: g.name, source: "local" }]);
    const added = await db().auditEvent.count({ where: { subjectId: g.id, action: "group.member_added" } });
    expect(added).toBe(1);

    const put = withApi(asKey(operations.addGroupMember), async ({ params }) => ({ group: await addMember(db(), admin, params.id, params.userId) }));
    expect((await call(put, "PUT", { id: g.id, userId: "usr_nosuch" })).status).toBe(404);
    expect((await call(put, "PUT", { id: "grp_nosuch", userId: p.id })).status).toBe(404);
    expect((await call(put, "PUT", { id: "not-an-id", userId: p.id })).status).toBe(400);

    const after = await removeMember(db(), admin, g.id, p.id);
    expect(after.members).toEqual([]);
    await expect(removeMember(db(), admin, g.id, p.id)).rejects.toMatchObject({ status: 404 });
    expect(await db().auditEvent.count({ where: { subjectId: g.id, action: "group.member_removed" } })).toBe(1);
    expect((await listPeople(db())).find((x) => x.id === p.id)?.groups).toEqual([]);
  });

  it("removing the member whose group entitled a lease revokes that lease, audited with the reason", async () => {
    const { person, group, leaseId } = await delegatorThroughGroup();
    await removeMember(db(), admin, group.id, person.id);
    const lease = await db().lease.findUniqueOrThrow({ where: { id: leaseId } });
    expect(lease.status).toBe("revoked");
    const ev = await db().auditEvent.findFirstOrThrow({ where: { leaseId, action: "lease.revoked" } });
    expect(JSON.stringify(ev.payload)).toContain("delegator_unentitled");
    expect(JSON.stringify(ev.payload)).toContain(`removed from group ${group.name}`);
  });

  it("deleting the group does the same for every member, and is audited with who they were", async () => {
    const { person, group, leaseId, entitlementId } = await delegatorThroughGroup();
    const other = await seedPerson(db());
    await addMember(db(), admin, group.id, other.id);
    expect(await deleteGroup(db(), admin, group.id)).toEqual({ deleted: group.id });
    expect((await db().lease.findUniqueOrThrow({ where: { id: leaseId } })).status).toBe("revoked");
    const ev = await db().auditEvent.findFirstOrThrow({ where: { subjectId: group.id, action: "group.deleted" } });
    expect((ev.payload as { members: string[] }).members.sort()).toEqual([person.id, other.id].sort());
    expect(await db().groupMember.count({ where: { groupId: group.id } })).toBe(0);
    // Its entitlements go too, each audited with the reason (none is left naming a group that is gone).
    expect(await db().entitlement.count({ where: { subjectType: "group", subjectId: group.id } })).toBe(0);
    const gone = await db().auditEvent.findMany({ where: { action: "entitlement.deleted", subjectId: entitlementId } });
    expect(gone).toHaveLength(1);
    expect(gone[0]!.payload).toMatchObject({ reason: `group ${group.name} deleted`, entitlement: { id: entitlementId, subjectType: "group", subjectId: group.id, subjectLabel: group.name, tools: ["pull_request.merge"] } });
    await expect(deleteGroup(db(), admin, group.id)).rejects.toMatchObject({ status: 404 });
  });

  it("joins racing a deletion never deadlock: each either lands before it (and is deleted with it) or finds no group", async () => {
    const g = await createGroup(db(), admin, { name: `race-${uniq()}` });
    const people = await Promise.all(Array.from({ length: 8 }, () => seedPerson(db())));
    const results = await Promise.allSettled([
      ...people.slice(0, 4).map((p) => addMember(db(), admin, g.id, p.id)),
      deleteGroup(db(), admin, g.id),
      ...people.slice(4).map((p) => addMember(db(), admin, g.id, p.id)),
    ]);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toMatchObject({ status: 404 });
    expect(await db().groupMember.count({ where: { groupId: g.id } })).toBe(0);
    const joined = results.filter((r, i) => i !== 4 && r.status === "fulfilled").length;
    const deleted = await db().auditEvent.findFirstOrThrow({ where: { subjectId: g.id, action: "group.deleted" } });
    expect((deleted.payload as { members: string[] }).members).toHaveLength(joined);
  });

  it("an SSO group keeps its provider's name", async () => {
    const g = await db().group.create({ data: { id: newId("grp"), name: `sso-${uniq()}`, source: "sso" } });
    await expect(updateGroup(db(), admin, g.id, { name: `${g.name}-x` })).rejects.toMatchObject({ status: 422 });
    expect((await updateGroup(db(), admin, g.id, { description: "from the IdP" })).description).toBe("from the IdP");
  });
});
