import { describe, expect, it } from "vitest";
import { canRevokeLease, isOwnRequest } from "@/lib/leases/rules";

const person = (role: string, id = "usr_me") => ({ id, email: "me@example.test", role });

describe("canRevokeLease", () => {
  it.each([
    ["admin", "usr_other", true],
    ["admin", null, true],
    ["requester", "usr_me", true],
    ["requester", "usr_other", false],
    ["requester", null, false],
    ["approver", "usr_me", false],
    ["auditor", "usr_me", false],
    ["no-such-role", "usr_me", false],
  ] as const)("%s on a lease delegated by %s: %s", (role, delegatorId, expected) => {
    expect(canRevokeLease(person(role), { delegatorId })).toBe(expected);
  });
});

describe("isOwnRequest", () => {
  it.each([
    [{ delegatorId: "usr_me", requestedBy: "someone@example.test" }, true],
    [{ delegatorId: null, requestedBy: "me@example.test" }, true],
    [{ delegatorId: "usr_other", requestedBy: "ME@Example.test" }, true],
    [{ delegatorId: "usr_other", requestedBy: "someone@example.test" }, false],
    [{ delegatorId: null, requestedBy: "" }, false],
  ])("%o: %s", (lease, expected) => {
    expect(isOwnRequest(person("approver"), lease)).toBe(expected);
  });
  it("an empty email on the person never matches an empty requester", () => {
    expect(isOwnRequest({ id: "usr_x", email: "" }, { delegatorId: null, requestedBy: "" })).toBe(false);
  });
});
