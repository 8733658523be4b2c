import { describe, expect, it } from "vitest";
import { can, PERMISSIONS, ROLE_PERMISSIONS } from "@/lib/auth/permissions";

describe("permissions", () => {
  it("an unknown role, a missing actor, or a prototype key grants nothing", () => {
    for (const p of PERMISSIONS) {
      expect(can({ role: "superuser" }, p)).toBe(false);
      expect(can({ role: "" }, p)).toBe(false);
      expect(can({ role: "constructor" }, p)).toBe(false);
      expect(can({ role: "__proto__" }, p)).toBe(false);
      expect(can(null, p)).toBe(false);
      expect(can(undefined, p)).toBe(false);
    }
  });

  it("each role has exactly what its table row says", () => {
    expect(can({ role: "approver" }, "approvals.decide")).toBe(true);
    expect(can({ role: "approver" }, "agents.manage")).toBe(false);
    expect(can({ role: "requester" }, "approvals.decide")).toBe(false);
    expect(can({ role: "requester" }, "leases.issue")).toBe(true);
    expect(can({ role: "auditor" }, "audit.read")).toBe(true);
    expect(can({ role: "auditor" }, "leases.issue")).toBe(false);
    expect(ROLE_PERMISSIONS.admin).toEqual(PERMISSIONS);
    for (const [role, perms] of Object.entries(ROLE_PERMISSIONS)) for (const p of PERMISSIONS) expect(can({ role }, p)).toBe(perms.includes(p));
  });
});
