// SSO group claims (issue 15): at each OIDC sign-in the person's sso memberships become exactly the
// claim's groups (missing groups made with source sso), local memberships untouched, audited when they
// change, and their live leases re-checked.
import { describe, expect, it } from "vitest";
import { authOptions, oidcProfile } from "@/lib/auth/options";
import { db } from "@/lib/db";
import { newId } from "@/lib/ids";
import { addMember, createGroup } from "@/lib/groups/groups";
import { groupNamesFromClaim, syncSsoGroups } from "@/lib/groups/sso";
import { issueLease } from "@/lib/leases/issue";
import { seedAgent, seedPerson } from "@/test/factories";

const uniq = () => Math.random().toString(36).slice(2, 10);
const membership = async (userId: string) =>
  (await db().groupMember.findMany({ where: { userId }, include: { group: true } })).map((m) => `${m.group.name}:${m.source}:${m.group.source}`).sort();

describe("SSO group sync", () => {
  it("reads names from the claim: lowercased, deduplicated, the unusable ones counted", () => {
    expect(groupNamesFromClaim(["Release-Managers", "release-managers", " ops ", "has space", 7, "{guid}"])).toEqual({ names: ["ops", "release-managers"], ignored: 3 });
    expect(groupNamesFromClaim("solo")).toEqual({ names: ["solo"], ignored: 0 });
    expect(groupNamesFromClaim(undefined)).toEqual({ names: [], ignored: 0 });
    expect(groupNamesFromClaim({ a: 1 })).toEqual({ names: [], ignored: 0 });
  });

  it("replaces sso memberships with exactly the claim's, creates missing groups, leaves local ones alone", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const p = await seedPerson(db());
    const t = uniq();
    const local = await createGroup(db(), admin, { name: `local-${t}` });
    await addMember(db(), admin, local.id, p.id);

    const first = await syncSsoGroups(db(), p.email.toUpperCase(), [`eng-${t}`, `Ops-${t}`, `local-${t}`]);
    expect(first).toEqual({ added: [`eng-${t}`, `ops-${t}`], removed: [], created: [`eng-${t}`, `ops-${t}`], ignored: 0 });
    // local-t was already a local membership: it stays local (a later claim without it does not remove it).
    expect(await membership(p.id)).toEqual([`eng-${t}:sso:sso`, `local-${t}:local:local`, `ops-${t}:sso:sso`]);

    const second = await syncSsoGroups(db(), p.email, [`ops-${t}`, `new-${t}`]);
    expect(second).toEqual({ added: [`new-${t}`], removed: [`eng-${t}`], created: [`new-${t}`], ignored: 0 });
    expect(await membership(p.id)).toEqual([`local-${t}:local:local`, `new-${t}:sso:sso`, `ops-${t}:sso:sso`]);

    // Unchanged: nothing written. No claim: the sso memberships go, the local one stays.
    const synced = () => db().auditEvent.count({ where: { subjectId: p.id, action: "group.sso_synced" } });
    expect(await synced()).toBe(2);
    expect(await syncSsoGroups(db(), p.email, [`new-${t}`, `ops-${t}`])).toEqual({ added: [], removed: [], created: [], ignored: 0 });
    expect(await synced()).toBe(2);
    await syncSsoGroups(db(), p.email, undefined);
    expect(await membership(p.id)).toEqual([`local-${t}:local:local`]);
    expect(await synced()).toBe(3);
    const ev = await db().auditEvent.findFirstOrThrow({ where: { subjectId: p.id, action: "group.sso_synced" }, orderBy: { seq: "desc" } });
    expect(ev.payload).toMatchObject({ removed: [`new-${t}`, `ops-${t}`] });
    expect(await db().auditEvent.count({ where: { action: "group.created", payload: { path: ["after", "name"], equals: `eng-${t}` } } })).toBe(1);

    expect(await syncSsoGroups(db(), `nobody-${t}@example.test`, ["x"])).toBeNull();
  });

  it("losing the group in the claim revokes the leases it entitled", async () => {
    const p = await seedPerson(db(), { role: "requester" });
    const name = `mergers-${uniq()}`;
    await syncSsoGroups(db(), p.email, [name]);
    const g = await db().group.findUniqueOrThrow({ where: { name } });
    await db().entitlement.create({ data: { id: newId("ent"), subjectType: "group", subjectId: g.id, tools: ["pull_request.merge"], environments: ["*"] } });
    const agent = await seedAgent(db());
    const issued = (await issueLease(db(), p, {
      agentId: agent.id, purpose: "merge", environment: "staging", grants: [{ tool: "pull_request.merge" }],
      deny: [], requireApproval: [], expiresIn: 600, maxToolCalls: 10, maxDelegationDepth: 0,
    } as never)) as { lease: { id: string } };
    await syncSsoGroups(db(), p.email, []);
    expect((await db().lease.findUniqueOrThrow({ where: { id: issued.lease.id } })).status).toBe("revoked");
  });

  it("the OIDC sign-in callback syncs from the configured claim", async () => {
    const p = await seedPerson(db());
    const name = `signin-${uniq()}`;
    const user = oidcProfile({ sub: "sub-g", email: p.email, email_verified: true, groups: [name] });
    expect(await authOptions().callbacks!.signIn!({ user, account: { provider: "oidc", type: "oauth", providerAccountId: "sub-g" } } as never)).toBe(true);
    expect(await membership(p.id)).toEqual([`${name}:sso:sso`]);
  });
});
