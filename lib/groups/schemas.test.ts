import { describe, expect, it } from "vitest";
import { openApiDocument } from "@/lib/api/openapi";
import { GroupCreate, GroupName } from "@/lib/groups/schemas";

describe("group schemas", () => {
  it("names: 1-64 lowercase letters, digits, '.', '_', '-'", () => {
    for (const ok of ["a", "release-managers", "team_1.eu", "x".repeat(64)]) expect(GroupName.safeParse(ok).success, ok).toBe(true);
    for (const bad of ["", "Release", "a b", "x".repeat(65), "grüppe", "a/b"]) expect(GroupName.safeParse(bad).success, bad).toBe(false);
    expect(GroupCreate.safeParse({ name: "a", extra: 1 }).success).toBe(false);
  });

  it("the routes are in the OpenAPI document, admin only", () => {
    const paths = openApiDocument().paths as Record<string, Record<string, { "x-lanyard-permission"?: string }>>;
    expect(Object.keys(paths["/api/v1/groups"]!).sort()).toEqual(["get", "post"]);
    expect(Object.keys(paths["/api/v1/groups/{id}"]!).sort()).toEqual(["delete", "get", "patch"]);
    expect(Object.keys(paths["/api/v1/groups/{id}/members/{userId}"]!).sort()).toEqual(["delete", "put"]);
    expect(paths["/api/v1/groups/{id}/members/{userId}"]!.put!["x-lanyard-permission"]).toBe("people.manage");
  });
});
