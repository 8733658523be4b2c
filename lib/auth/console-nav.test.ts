import { describe, expect, it } from "vitest";
import { activeHref, NAV } from "@/components/shell/nav";
import { can } from "@/lib/auth/permissions";

const allowedFor = (role: string) => NAV.filter((n) => can({ role }, n.permission)).map((n) => n.href);

describe("console side nav", () => {
  it("gives auditors a way to Settings → Policies (the rest of /settings is admin-only)", () => {
    expect(allowedFor("auditor")).toContain("/settings/policies");
    expect(allowedFor("auditor")).not.toContain("/settings");
    expect(allowedFor("admin")).toEqual(expect.arrayContaining(["/settings", "/settings/policies"]));
  });

  it("marks one item active: the longest href the path is at or under", () => {
    const all = NAV.map((n) => n.href);
    expect(activeHref("/settings/policies", all)).toBe("/settings/policies");
    expect(activeHref("/settings/policies/anything", all)).toBe("/settings/policies");
    expect(activeHref("/settings/tools", all)).toBe("/settings");
    expect(activeHref("/settings", all)).toBe("/settings");
    expect(activeHref("/runs/run_1", all)).toBe("/runs");
    expect(activeHref("/", all)).toBe("/");
    // A prefix that is not a whole segment is not "under".
    expect(activeHref("/runsheet", all)).toBeNull();
    // Without Policies in the list (a role that cannot see it), Settings stays the active one.
    expect(activeHref("/settings/policies", all.filter((h) => h !== "/settings/policies"))).toBe("/settings");
  });
});
