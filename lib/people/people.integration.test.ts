import { describe, expect, it } from "vitest";
import { toErrorResponse } from "@/lib/api/error-response";
import { actorForSession } from "@/lib/auth/session";
import { db } from "@/lib/db";
import { createPerson, updatePerson } from "@/lib/people/people";
import { seedPerson } from "@/test/factories";

describe("people", () => {
  it("disabling a person ends their open sessions at once, and is audited", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const p = await seedPerson(db(), { role: "approver" });
    const sv = (await db().user.findUniqueOrThrow({ where: { id: p.id } })).sessionVersion;
    expect(await actorForSession(db(), { uid: p.id, sv })).toMatchObject({ id: p.id, role: "approver" });
    await updatePerson(db(), admin, p.id, { status: "disabled" });
    expect(await actorForSession(db(), { uid: p.id, sv })).toBeNull();
    const ev = await db().auditEvent.findFirstOrThrow({ where: { subjectId: p.id, action: "person.disabled" } });
    expect(ev).toMatchObject({ actorId: admin.id, actorType: "user" });
    expect(ev.payload).toMatchObject({ changes: { status: { from: "active", to: "disabled" } }, sessionsEnded: true });
  });

  it("a role change ends sessions minted under the old role", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const p = await seedPerson(db(), { role: "admin" });
    const sv = (await db().user.findUniqueOrThrow({ where: { id: p.id } })).sessionVersion;
    await updatePerson(db(), admin, p.id, { role: "auditor" });
    expect(await actorForSession(db(), { uid: p.id, sv })).toBeNull();
    expect(await actorForSession(db(), { uid: p.id, sv: sv + 1 })).toMatchObject({ role: "auditor" });
  });

  it("refuses malformed session claims and unknown people", async () => {
    expect(await actorForSession(db(), null)).toBeNull();
    expect(await actorForSession(db(), { uid: "usr_nobody", sv: 0 })).toBeNull();
    expect(await actorForSession(db(), { uid: 42, sv: "0" })).toBeNull();
  });

  it("an admin cannot lock themselves out, and duplicate emails are a 409", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    await expect(updatePerson(db(), admin, admin.id, { status: "disabled" })).rejects.toMatchObject({ status: 422 });
    await expect(updatePerson(db(), admin, admin.id, { role: "requester" })).rejects.toMatchObject({ status: 422 });
    await createPerson(db(), admin, { email: `dup-${admin.id}@example.test`, name: "Dup", role: "requester" });
    // The database's unique index answers, through the one error mapper.
    const dup = await createPerson(db(), admin, { email: `dup-${admin.id}@example.test`, name: "Dup", role: "requester" }).catch((err: unknown) => toErrorResponse(err));
    expect(dup).toBeInstanceOf(Response);
    expect((dup as Response).status).toBe(409);
  });
});
