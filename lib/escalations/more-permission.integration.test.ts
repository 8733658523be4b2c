import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { createEscalation } from "@/lib/escalations/create";
import { openEscalation } from "@/lib/escalations/open";
import { castVote } from "@/lib/escalations/vote";
import { stopListening } from "@/lib/events/bus";
import { seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";
import { ownerDb } from "@/test/owner-db";

let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>["actor"];
beforeAll(async () => {
  ep = (await seedEnforcementPoint(db())).actor;
});
afterAll(() => stopListening());

const contract = (id: string) => ({ type: "contract", id });

describe("more_permission adds one resource, never a pattern", () => {
  it("refuses a request whose resource id ends in * (it would grant every id it matches), and refuses to approve one already queued", async () => {
    const { lease, leaseToken } = await seedLease(db(), { grants: [{ tool: "contracts.read", resource: { type: "contract", ids: ["contract_1"] } }], deny: [] });
    const read = (id: string) => decide(db(), ep, { leaseToken, tool: "contracts.read", resource: contract(id) });
    expect((await read("contract_9999")).decision).toBe("deny");
    for (const id of ["*", "contract_*", "contract_9*"]) {
      await expect(createEscalation(db(), ep, { leaseToken, kind: "more_permission", tool: "contracts.read", resource: contract(id), justification: "need one more contract" })).rejects.toMatchObject({
        status: 422,
        issues: [{ path: ["resource", "id"] }],
      });
    }
    expect(await db().escalation.count({ where: { leaseId: lease.id } })).toBe(0);
    // One resource is still fine to ask for.
    await expect(createEscalation(db(), ep, { leaseToken, kind: "more_permission", tool: "contracts.read", resource: contract("contract_2"), justification: "need contract 2" })).resolves.toBeTruthy();

    // One queued before this rule (written straight in): approving it changes nothing.
    const { id } = await ownerDb().$transaction((tx) =>
      openEscalation(tx, { kind: "more_permission", lease: { ...lease, expiresAt: new Date(lease.expiresAt) }, tool: "contracts.read", resource: contract("contract_9*"), justification: "legacy", risk: "medium", actor: { type: "system", label: "test" }, at: new Date() }),
    );
    const approver = await seedPerson(db(), { role: "approver" });
    await expect(castVote(db(), approver, id, "approve", "one more contract")).rejects.toMatchObject({ status: 409 });
    expect(await db().escalation.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "pending" });
    expect((await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).grants).toEqual([{ tool: "contracts.read", resource: { type: "contract", ids: ["contract_1"] } }]);
    expect((await read("contract_9999")).decision).toBe("deny");
  });
});
