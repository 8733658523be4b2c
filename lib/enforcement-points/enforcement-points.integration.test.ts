import { describe, expect, it } from "vitest";
import { authenticateKey, hashKey } from "@/lib/auth/enforcement-point";
import { db } from "@/lib/db";
import { createEnforcementPoint, revokeEnforcementPoint } from "@/lib/enforcement-points/enforcement-points";
import { seedPerson } from "@/test/factories";

describe("enforcement-point keys", () => {
  it("are shown once, stored only as a sha-256 with a display prefix, and stop working when revoked", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const { enforcementPoint, key } = await createEnforcementPoint(db(), admin, { name: "mcp-gateway", scopes: ["decisions:write"] });
    expect(key).toMatch(/^lyd_ep_[A-Za-z0-9_-]{43}$/);
    const row = await db().enforcementPoint.findUniqueOrThrow({ where: { id: enforcementPoint.id } });
    expect(row.keyHash).toBe(hashKey(key));
    expect(JSON.stringify(row)).not.toContain(key);
    expect(row.keyPrefix).toBe(`lyd_ep_…${key.slice(-4)}`);
    expect(await authenticateKey(key)).toMatchObject({ id: enforcementPoint.id, scopes: ["decisions:write"] });
    await revokeEnforcementPoint(db(), admin, enforcementPoint.id);
    expect(await authenticateKey(key)).toBeNull();
    await expect(revokeEnforcementPoint(db(), admin, enforcementPoint.id)).rejects.toMatchObject({ status: 409 });
    const actions = (await db().auditEvent.findMany({ where: { subjectId: enforcementPoint.id }, orderBy: { seq: "asc" } })).map((e) => e.action);
    expect(actions).toEqual(["enforcement_point.created", "enforcement_point.revoked"]);
  });

  it("key A cannot pass for key B: a key differing in one character is unknown", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const { key } = await createEnforcementPoint(db(), admin, { name: "ci-runner", scopes: ["decisions:write"] });
    const flipped = key.slice(0, -1) + (key.endsWith("A") ? "B" : "A");
    expect(await authenticateKey(flipped)).toBeNull();
  });
});
