import { describe, expect, it } from "vitest";
import { authOptions, MAX_FAILURES, oidcProfile, setSignInRateLimit, signInWithPassword } from "@/lib/auth/options";
import { db } from "@/lib/db";
import { seedPerson } from "@/test/factories";

describe("password sign-in", () => {
  it("signs in with the right password, refuses a wrong one, and audits both", async () => {
    const p = await seedPerson(db(), { password: "correct horse battery", role: "auditor" });
    expect(await signInWithPassword(p.email.toUpperCase(), "correct horse battery")).toMatchObject({ id: p.id, email: p.email });
    expect(await signInWithPassword(p.email, "wrong password!!")).toBeNull();
    const actions = (await db().auditEvent.findMany({ where: { OR: [{ subjectId: p.id }, { subjectId: p.email }], action: { startsWith: "auth." } }, orderBy: { seq: "asc" } })).map((e) => e.action);
    expect(actions).toEqual(["auth.sign_in", "auth.sign_in_failed"]);
  });

  it("refuses a disabled person even with the right password", async () => {
    const p = await seedPerson(db(), { password: "correct horse battery", status: "disabled" });
    expect(await signInWithPassword(p.email, "correct horse battery")).toBeNull();
  });

  it(`throttles an email after ${MAX_FAILURES} failures: even the right password is refused`, async () => {
    const p = await seedPerson(db(), { password: "correct horse battery" });
    for (let i = 0; i < MAX_FAILURES; i++) expect(await signInWithPassword(p.email, `guess ${i} guess`)).toBeNull();
    expect(await signInWithPassword(p.email, "correct horse battery")).toBeNull();
    expect(await db().auditEvent.count({ where: { action: "auth.sign_in_throttled", subjectId: p.email } })).toBe(1);
  });
});

describe("password attempts per instance", () => {
  it("beyond the instance's rate, an attempt is refused before any work, even with the right password, and not audited", async () => {
    const p = await seedPerson(db(), { password: "correct horse battery" });
    setSignInRateLimit({ rate: 0.01, burst: 1 });
    try {
      expect(await signInWithPassword(p.email, "correct horse battery")).not.toBeNull();
      expect(await signInWithPassword(p.email, "correct horse battery")).toBeNull();
    } finally {
      setSignInRateLimit();
    }
    expect(await db().auditEvent.count({ where: { actorId: p.id, action: { startsWith: "auth.sign_in" } } })).toBe(1);
    expect(await signInWithPassword(p.email, "correct horse battery")).not.toBeNull();
  });
});

describe("SSO (OIDC) sign-in", () => {
  const signIn = (email: string | undefined, emailVerified: boolean | string = true) =>
    authOptions().callbacks!.signIn!({ user: oidcProfile({ sub: "sub-123", email, email_verified: emailVerified }), account: { provider: "oidc", type: "oauth", providerAccountId: "sub-123" } } as never);

  it("signs in only people an admin has added, and never a disabled one", async () => {
    const active = await seedPerson(db(), { role: "approver" });
    const disabled = await seedPerson(db(), { role: "approver", status: "disabled" });
    expect(await signIn(active.email.toUpperCase())).toBe(true);
    expect(await signIn(disabled.email)).toBe(false);
    expect(await signIn(`stranger-${Date.now()}@example.test`)).toBe(false);
    expect(await signIn(undefined)).toBe(false);
    expect(await db().auditEvent.count({ where: { action: "auth.sign_in", actorId: active.id, payload: { path: ["method"], equals: "oidc" } } })).toBe(1);
  });

  it("refuses an email the provider has not verified, even an admin's, and audits why", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    expect(await signIn(admin.email, false)).toBe(false);
    expect(await signIn(admin.email, "false")).toBe(false);
    expect(await db().auditEvent.count({ where: { action: "auth.sign_in_failed", actorLabel: admin.email, payload: { path: ["reason"], equals: "email_not_verified" } } })).toBe(2);
    expect(await db().auditEvent.count({ where: { action: "auth.sign_in", actorId: admin.id } })).toBe(0);
    // What a provider that does not send the claim gets: the same refusal.
    expect(oidcProfile({ sub: "x", email: admin.email }).emailVerified).toBe(false);
    expect(await signIn(admin.email, "true")).toBe(true);
  });
});
