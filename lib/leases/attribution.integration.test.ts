import { NextRequest } from "next/server";
import { beforeAll, describe, expect, it } from "vitest";
import { POST as leasesPost } from "@/app/api/v1/leases/route";
import { db } from "@/lib/db";
import { castVote } from "@/lib/escalations/vote";
import { issueLease } from "@/lib/leases/issue";
import { seedAgent, seedEnforcementPoint, seedPerson } from "@/test/factories";

let key: string;
beforeAll(async () => {
  key = (await seedEnforcementPoint(db())).key;
});

const body = (agentId: string, requestedBy?: string) => ({
  agentId,
  purpose: "attribution",
  ...(requestedBy === undefined ? {} : { requestedBy }),
  environment: "staging",
  grants: [{ tool: "repo.read" }],
  deny: [],
  requireApproval: [],
  expiresIn: 600,
  maxToolCalls: 5,
  maxDelegationDepth: 0,
});
const epRequest = (b: object) =>
  leasesPost(new NextRequest("http://localhost/api/v1/leases", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: JSON.stringify(b) }), { params: Promise.resolve({}) });

describe("who asked for a lease", () => {
  it("a person's request is theirs: naming someone else is refused (422 on requestedBy), naming themselves or no one is attributed to them", async () => {
    const requester = await seedPerson(db(), { role: "requester" });
    const approver = await seedPerson(db(), { role: "approver" });
    const agent = await seedAgent(db());
    await expect(issueLease(db(), requester, body(agent.id, approver.email))).rejects.toMatchObject({ status: 422, issues: [{ path: ["requestedBy"] }] });
    expect(await db().lease.count({ where: { agentId: agent.id } })).toBe(0);

    for (const named of [undefined, requester.email]) {
      const { lease } = await issueLease(db(), requester, body(agent.id, named));
      expect(lease.requestedBy).toBe(requester.email);
      expect(await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).toMatchObject({ delegatorId: requester.id });
    }
  });

  it("the forged attribution no longer shuts out the approver it named, and the real requester still cannot approve their own request", async () => {
    const requester = await seedPerson(db(), { role: "requester", entitled: ["production.deploy"] });
    const approver = await seedPerson(db(), { role: "approver" });
    const agent = await seedAgent(db());
    // A requester's critical grant waits for approval (delegation rule).
    const { lease } = await issueLease(db(), requester, { ...body(agent.id), grants: [{ tool: "production.deploy" }] });
    expect(lease.status).toBe("pending_approval");
    const esc = await db().escalation.findFirstOrThrow({ where: { leaseId: lease.id, kind: "lease_request" } });
    await expect(castVote(db(), requester, esc.id, "approve", "mine")).rejects.toMatchObject({ code: "self_approval" });
    await castVote(db(), approver, esc.id, "approve", "fine");
    expect(await db().vote.findMany({ where: { escalationId: esc.id }, select: { voterId: true } })).toEqual([{ voterId: approver.id }]);
  });

  it("an enforcement point names its requester, and only an active person (422 otherwise); that person cannot approve the request", async () => {
    const maya = await seedPerson(db(), { role: "requester" });
    const gone = await seedPerson(db(), { role: "requester", status: "disabled" });
    const approver = await seedPerson(db(), { role: "approver" });
    const agent = await seedAgent(db());
    for (const requestedBy of [undefined, `nobody-${maya.id}@example.test`, gone.email]) {
      const res = await epRequest(body(agent.id, requestedBy));
      expect(res.status, String(requestedBy)).toBe(422);
      const err = (await res.json()).error;
      expect(err.issues.map((i: { path: string[] }) => i.path)).toEqual([["requestedBy"]]);
      // The same answer for an unknown and a disabled person: a key learns nothing about who exists.
      if (requestedBy) expect(err.issues[0].message).toBe("must be the email of an active person");
    }
    expect(await db().lease.count({ where: { agentId: agent.id } })).toBe(0);

    const res = await epRequest(body(agent.id, maya.email.toUpperCase()));
    expect(res.status).toBe(201);
    const { lease } = await res.json();
    expect(lease).toMatchObject({ status: "pending_approval", requestedBy: maya.email });
    expect(await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).toMatchObject({ delegatorId: maya.id });
    const esc = await db().escalation.findFirstOrThrow({ where: { leaseId: lease.id, kind: "lease_request" } });
    expect(esc.requestedById).toBe(maya.id);
    await expect(castVote(db(), maya, esc.id, "approve", "mine")).rejects.toMatchObject({ code: "self_approval" });
    expect(await castVote(db(), approver, esc.id, "approve", "ok")).toMatchObject({ status: "approved" });
  });
});
