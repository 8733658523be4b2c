import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { stopListening } from "@/lib/events/bus";
import { castVote } from "@/lib/escalations/vote";
import { issueLease } from "@/lib/leases/issue";
import { listPasskeys, registerPasskey, registrationOptions, removePasskey } from "@/lib/presence/passkeys";
import { FRESH_PROOF_MS } from "@/lib/presence/proof";
import { authenticationOptions, reauthenticate, reauthStatus } from "@/lib/presence/reauth";
import type { RelyingParty } from "@/lib/presence/relying-party";
import { seedAgent, seedEnforcementPoint, seedPerson } from "@/test/factories";
import { SoftAuthenticator } from "@/test/soft-authenticator";

const rp: RelyingParty = { id: "localhost", origin: "http://localhost:3000", name: "Lanyard" };
let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>["actor"];
beforeAll(async () => {
  ep = (await seedEnforcementPoint(db())).actor;
});
afterAll(() => stopListening());

/** One open escalation per tool asked: production.deploy is critical, pull_request.merge high, repo.read low. */
async function escalation(tool: "production.deploy" | "pull_request.merge" = "production.deploy") {
  const delegator = await seedPerson(db(), { role: "admin" });
  const agent = await seedAgent(db());
  const { leaseToken } = await issueLease(db(), delegator, {
    agentId: agent.id, purpose: "ship the fix", environment: "staging",
    grants: [{ tool: "production.deploy" }, { tool: "pull_request.merge", resource: { type: "repo", ids: ["clord"] } }],
    deny: [], requireApproval: [], expiresIn: 1800, maxToolCalls: 100, maxDelegationDepth: 0,
  });
  const d = await decide(db(), ep, { leaseToken, tool, ...(tool === "pull_request.merge" ? { resource: { type: "repo", id: "clord" } } : {}) });
  expect(d.decision).toBe("escalate");
  return d.escalationId!;
}

const approver = (password?: string) => seedPerson(db(), { role: "approver", proof: null, ...(password ? { password } : {}) });
const voteOf = (escalationId: string, voterId: string) => db().vote.findUnique({ where: { escalationId_voterId: { escalationId, voterId } } });

async function withPasskey(actor: Actor) {
  const auth = new SoftAuthenticator(rp.origin);
  const options = await registrationOptions(db(), actor, rp);
  await registerPasskey(db(), actor, rp, { name: "laptop", response: auth.register(options) });
  return auth;
}

describe("proof of presence before risky approvals (issue 17)", () => {
  it("approving a critical or high request without a fresh proof is 403 reauth_required; denying needs none", async () => {
    const a = await approver();
    await expect(castVote(db(), a, await escalation(), "approve", "ok")).rejects.toMatchObject({ status: 403, code: "reauth_required" });
    await expect(castVote(db(), a, await escalation("pull_request.merge"), "approve", "ok")).rejects.toMatchObject({ status: 403, code: "reauth_required" });
    // A caller without a console session (no proof can be bound to it) is refused the same way.
    const { session: _, ...bare } = a;
    await expect(castVote(db(), bare, await escalation(), "approve", "ok")).rejects.toMatchObject({ code: "reauth_required" });
    const denied = await escalation();
    expect(await castVote(db(), a, denied, "deny", "not now")).toMatchObject({ status: "denied" });
    expect(await voteOf(denied, a.id)).toMatchObject({ verdict: "deny", proof: null });
  });

  it("a password proof lets the vote through and the vote and its audit event record it; a wrong one proves nothing", async () => {
    const a = await approver("correct horse battery");
    await expect(reauthenticate(db(), a, rp, { method: "password", password: "wrong" })).rejects.toMatchObject({ status: 403 });
    expect((await reauthStatus(db(), a)).method).toBeNull();
    const status = await reauthenticate(db(), a, rp, { method: "password", password: "correct horse battery" });
    expect(status).toMatchObject({ method: "password", passkeys: 0 });
    const esc = await escalation();
    await castVote(db(), a, esc, "approve", "change CHG-7");
    expect(await voteOf(esc, a.id)).toMatchObject({ verdict: "approve", proof: "password" });
    const audit = await db().auditEvent.findFirstOrThrow({ where: { action: "escalation.voted", escalationId: esc, actorId: a.id } });
    expect(audit.payload).toMatchObject({ verdict: "approve", proof: "password" });
    expect(JSON.stringify(audit.payload)).not.toContain("horse");
    const attempts = await db().auditEvent.findMany({ where: { actorId: a.id, action: { in: ["auth.reauth", "auth.reauth_failed"] } }, orderBy: { at: "asc" } });
    expect(attempts.map((e) => e.action)).toEqual(["auth.reauth_failed", "auth.reauth"]);
    expect(JSON.stringify(attempts.map((e) => e.payload))).not.toContain("wrong");
  });

  it("a proof older than 5 minutes, from another session of the same person, or from before a role change is refused", async () => {
    const a = await approver("pw-for-stale-proof");
    await reauthenticate(db(), a, rp, { method: "password", password: "pw-for-stale-proof" });
    await db().presenceProof.update({ where: { userId_sessionId: { userId: a.id, sessionId: a.session!.id } }, data: { provedAt: new Date(Date.now() - FRESH_PROOF_MS - 1000) } });
    await expect(castVote(db(), a, await escalation(), "approve", "ok")).rejects.toMatchObject({ code: "reauth_required" });

    await reauthenticate(db(), a, rp, { method: "password", password: "pw-for-stale-proof" });
    const otherTab = { ...a, session: { id: "ses_another_sign_in", version: a.session!.version } };
    await expect(castVote(db(), otherTab, await escalation(), "approve", "ok")).rejects.toMatchObject({ code: "reauth_required" });

    // A role change bumps sessionVersion: the proof made under the old one no longer counts (nor does the session).
    await db().user.update({ where: { id: a.id }, data: { sessionVersion: { increment: 1 } } });
    await expect(castVote(db(), { ...a, session: { ...a.session!, version: a.session!.version + 1 } }, await escalation(), "approve", "ok")).rejects.toMatchObject({ code: "reauth_required" });
  });

  it("a passkey registered in the profile proves presence; the vote records passkey and the counter moves", async () => {
    const a = await approver();
    const auth = await withPasskey(a);
    const [key] = await listPasskeys(db(), a);
    expect(key).toMatchObject({ name: "laptop", transports: ["internal"], lastUsedAt: null });
    expect(await db().auditEvent.count({ where: { action: "passkey.registered", actorId: a.id } })).toBe(1);

    const options = await authenticationOptions(db(), a, rp);
    expect(options.allowCredentials?.map((c) => c.id)).toEqual([auth.id]);
    expect(await reauthenticate(db(), a, rp, { method: "passkey", response: auth.assert(options) })).toMatchObject({ method: "passkey", passkeys: 1 });
    const esc = await escalation();
    await castVote(db(), a, esc, "approve", "seen the diff");
    expect(await voteOf(esc, a.id)).toMatchObject({ proof: "passkey" });
    const stored = await db().passkey.findUniqueOrThrow({ where: { id: key!.id } });
    expect(stored.counter).toBe(1n);
    expect(stored.lastUsedAt).not.toBeNull();
  });

  it("a replayed assertion, another session's challenge, a foreign origin, someone else's passkey and a counter going backwards are refused", async () => {
    const a = await approver();
    const auth = await withPasskey(a);
    const proofOf = async (who: Actor) => (await db().presenceProof.findUnique({ where: { userId_sessionId: { userId: who.id, sessionId: who.session!.id } } }))?.provedAt ?? null;

    // Replayed: the challenge was used by the first answer.
    const first = auth.assert(await authenticationOptions(db(), a, rp));
    await reauthenticate(db(), a, rp, { method: "passkey", response: first });
    await expect(reauthenticate(db(), a, rp, { method: "passkey", response: first })).rejects.toMatchObject({ status: 403, message: expect.stringContaining("challenge") });

    // A challenge handed to another session (of the same person) cannot be answered from this one.
    const b = await approver();
    const otherSession = { ...a, session: { id: "ses_other_tab", version: a.session!.version } };
    await db().presenceProof.deleteMany({ where: { userId: a.id } });
    const foreign = auth.assert(await authenticationOptions(db(), otherSession, rp));
    await expect(reauthenticate(db(), a, rp, { method: "passkey", response: foreign })).rejects.toMatchObject({ status: 403 });
    // ...nor by another person, even with their own passkey answering it.
    const bAuth = await withPasskey(b);
    const stolen = bAuth.assert(await authenticationOptions(db(), a, rp));
    await expect(reauthenticate(db(), b, rp, { method: "passkey", response: stolen })).rejects.toMatchObject({ status: 403 });
    // Someone else's passkey answering my challenge proves nothing about me.
    const wrongKey = bAuth.assert(await authenticationOptions(db(), a, rp));
    await expect(reauthenticate(db(), a, rp, { method: "passkey", response: wrongKey })).rejects.toMatchObject({ status: 403, message: expect.stringContaining("not one of yours") });
    // A page on another origin (phishing) gets an assertion the verifier refuses.
    const phished = auth.assert(await authenticationOptions(db(), a, rp), { origin: "http://lanyard.evil.test" });
    await expect(reauthenticate(db(), a, rp, { method: "passkey", response: phished })).rejects.toMatchObject({ status: 403 });
    // A cloned authenticator replaying an older counter.
    const cloned = auth.assert(await authenticationOptions(db(), a, rp), { counter: 1 });
    await expect(reauthenticate(db(), a, rp, { method: "passkey", response: cloned })).rejects.toMatchObject({ status: 403 });
    expect(await proofOf(a)).toBeNull();
    expect(await db().auditEvent.count({ where: { action: "auth.reauth_failed", actorId: a.id } })).toBeGreaterThanOrEqual(3);

    // An expired challenge.
    const late = await authenticationOptions(db(), a, rp);
    await db().webauthnChallenge.update({ where: { challenge: late.challenge }, data: { expiresAt: new Date(Date.now() - 1) } });
    await expect(reauthenticate(db(), a, rp, { method: "passkey", response: auth.assert(late) })).rejects.toMatchObject({ status: 403 });
    // A good one still works after all that.
    await reauthenticate(db(), a, rp, { method: "passkey", response: auth.assert(await authenticationOptions(db(), a, rp)) });
    expect(await proofOf(a)).not.toBeNull();
  });

  it("a session without a fresh proof cannot add a passkey (else a stolen session mints its own proof of presence)", async () => {
    // X4: registration asked only for the session, so a stolen cookie registered a software passkey,
    // proved presence with it and approved a critical request without ever knowing the password.
    const a = await approver("pw-of-the-real-person");
    const thief = new SoftAuthenticator(rp.origin);
    await expect(registrationOptions(db(), a, rp)).rejects.toMatchObject({ status: 403, code: "reauth_required" });
    expect(await listPasskeys(db(), a)).toEqual([]);
    // With the password proved (the person is there), the key is added; a second key needs a fresh proof again.
    await reauthenticate(db(), a, rp, { method: "password", password: "pw-of-the-real-person" });
    await registerPasskey(db(), a, rp, { name: "laptop", response: thief.register(await registrationOptions(db(), a, rp)) });
    await db().presenceProof.deleteMany({ where: { userId: a.id } });
    await expect(registrationOptions(db(), a, rp)).rejects.toMatchObject({ code: "reauth_required" });
    // Someone with neither a password nor a passkey (SSO only) has nothing to prove with: their first key is let in.
    await withPasskey(await approver());
  });

  it("a passkey is removed by its owner only, audited", async () => {
    const a = await approver();
    const b = await approver();
    const auth = await withPasskey(a);
    const [key] = await listPasskeys(db(), a);
    await expect(removePasskey(db(), b, key!.id)).rejects.toMatchObject({ status: 404 });
    // X4: without a proof, a stolen session of someone with no password removed their keys, then added its
    // own as their "first" (which needs no proof) and approved with it.
    await expect(removePasskey(db(), a, key!.id)).rejects.toMatchObject({ status: 403, code: "reauth_required" });
    expect(await listPasskeys(db(), a)).toHaveLength(1);
    await reauthenticate(db(), a, rp, { method: "passkey", response: auth.assert(await authenticationOptions(db(), a, rp)) });
    await removePasskey(db(), a, key!.id);
    expect(await listPasskeys(db(), a)).toEqual([]);
    expect(await db().auditEvent.count({ where: { action: "passkey.removed", actorId: a.id, subjectId: key!.id } })).toBe(1);
    await expect(authenticationOptions(db(), a, rp)).rejects.toMatchObject({ status: 400 });
  });
});
