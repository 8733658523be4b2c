import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { SMTPServer } from "smtp-server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { advanceClock, resetClock } from "@/lib/clock";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { stopListening } from "@/lib/events/bus";
import { addMember, createGroup } from "@/lib/groups/groups";
import { startJobs } from "@/lib/jobs/schedule";
import { closeMailTransports, type MailConfig } from "@/lib/notifications/mailer";
import { sendDueNotifications } from "@/lib/notifications/deliver";
import { queueExpiryDigests } from "@/lib/notifications/digest";
import { createApprovalRoute } from "@/lib/routing/routes";
import { seedAgent, seedEnforcementPoint, seedLease, seedPerson } from "@/test/factories";

type Received = { to: string[]; raw: string; text: string; at: number };
const inbox: Received[] = [];
let server: SMTPServer;
let mail: MailConfig;
const BASE = "https://lanyard.example.test";

/** The body as a person reads it: quoted-printable soft breaks joined and =XX decoded. */
const decodeQp = (raw: string) => {
  const body = raw.slice(raw.indexOf("\r\n\r\n") + 4);
  return /quoted-printable/i.test(raw) ? Buffer.from(body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8") : body;
};

beforeAll(async () => {
  // A real SMTP server on this machine: what arrives here is what a mailbox would get.
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        inbox.push({ to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()), raw, text: decodeQp(raw), at: Date.now() });
        done();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  mail = { smtpUrl: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`, from: "Lanyard <lanyard@example.test>" };
});
afterEach(() => resetClock());
afterAll(async () => {
  closeMailTransports();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await stopListening();
});

async function poll<T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
// Other files' requests routed to "any approver" mail this file's approvers too: match on the request's link.
const mailsTo = (email: string, escalationId: string) => inbox.filter((m) => m.to.includes(email.toLowerCase()) && m.text.includes(`escalation=${escalationId}`));

/** An agent whose requests route to a fresh group of two approvers; and one approver outside it. */
async function routed(windowMinutes?: number) {
  const admin = await seedPerson(db(), { role: "admin" });
  const g = await createGroup(db(), admin, { name: `notify-${randomBytes(4).toString("hex")}` });
  const approvers = [await seedPerson(db(), { role: "approver" }), await seedPerson(db(), { role: "approver" })];
  for (const a of approvers) await addMember(db(), admin, g.id, a.id);
  const outsider = await seedPerson(db(), { role: "approver" });
  const agent = await seedAgent(db());
  await createApprovalRoute(db(), admin, { name: "notify test", agentId: agent.id, groupIds: [g.id], ...(windowMinutes ? { windowMinutes } : {}) });
  const ep = (await seedEnforcementPoint(db())).actor;
  return { approvers, outsider, agent, ep, users: [...approvers.map((a) => a.id), outsider.id] };
}

describe("approver notifications", () => {
  it("a critical request reaches each assigned approver's inbox within seconds: the exact call, why, time left, a link; no secret", async () => {
    const { approvers, outsider, agent, ep, users } = await routed();
    const { leaseToken, admin } = await seedLease(db(), { agentId: agent.id });
    // Planted: credential-looking argument values (by key and by shape) the mail must not carry, nor the lease token.
    const planted = { apiToken: `tok-${randomBytes(12).toString("hex")}`, auth: `ghp_${randomBytes(18).toString("hex")}`, password: `pw-${randomBytes(8).toString("hex")}` };
    // The job as it runs in the app (every second), limited to this test's people (other files share the database).
    const stop = startJobs([{ name: "test notifications", everyMs: 1_000, run: () => sendDueNotifications(db(), { mail, baseUrl: BASE, userIds: users }) }]);
    try {
      const t0 = Date.now();
      const d = await decide(db(), ep, { leaseToken, tool: "production.deploy", arguments: { service: "billing", version: "v2.4.1", ...planted } });
      expect(d.decision).toBe("escalate");
      const id = d.escalationId!;
      const got = await poll("both approvers' mails", () => (approvers.every((a) => mailsTo(a.email, id).length) ? approvers.map((a) => mailsTo(a.email, id)[0]!) : undefined));
      const delays = got.map((m) => m.at - t0);
      console.log(`[notifications] critical request -> inbox: ${delays.map((ms) => `${ms} ms`).join(", ")} (job every 1 s)`);
      for (const m of got) {
        expect(m.text).toContain(`${BASE}/approvals?escalation=${id}`);
        expect(m.text).toContain("production.deploy");
        expect(m.text).toContain("billing");
        expect(m.text).toContain("v2.4.1");
        expect(m.text).toMatch(/Why: +\S/);
        expect(m.text).toMatch(/Time left: +1[45] min/);
        expect(m.raw).toMatch(/^Subject: \[Lanyard\] CRITICAL/m);
        for (const secret of [...Object.values(planted), leaseToken]) expect(m.raw).not.toContain(secret);
      }
      // Not assigned: the outsider; the lease's own delegator is never asked either.
      expect(mailsTo(outsider.email, id)).toEqual([]);
      expect(mailsTo(admin.email, id)).toEqual([]);
      // The audit row commits just after the server accepted the mail.
      const audit = await poll("two notification.sent events", async () => {
        const rows = await db().auditEvent.findMany({ where: { action: "notification.sent", escalationId: id } });
        return rows.length >= 2 ? rows : undefined;
      });
      expect(audit.map((a) => (a.payload as { to: string }).to).sort()).toEqual(approvers.map((a) => a.email).sort());
      expect(JSON.stringify(audit.map((a) => a.payload))).not.toContain(planted.apiToken);
    } finally {
      stop();
    }
  });

  it("a mail queued for someone disabled or no longer an approver before it went out is not sent", async () => {
    // X4: the outbox sent to the address stored at queue time, so a person disabled (or demoted) during the
    // retries (or the hour an unconfigured outbox waits) still got the exact call and a link to it.
    const { approvers, agent, ep } = await routed();
    const { leaseToken } = await seedLease(db(), { agentId: agent.id });
    const id = (await decide(db(), ep, { leaseToken, tool: "production.deploy" })).escalationId!;
    await db().user.update({ where: { id: approvers[0]!.id }, data: { status: "disabled", sessionVersion: { increment: 1 } } });
    await db().user.update({ where: { id: approvers[1]!.id }, data: { role: "requester", sessionVersion: { increment: 1 } } });
    await sendDueNotifications(db(), { mail, baseUrl: BASE, userIds: approvers.map((a) => a.id) });
    expect(approvers.flatMap((a) => mailsTo(a.email, id))).toEqual([]);
    const rows = await db().notification.findMany({ where: { userId: { in: approvers.map((a) => a.id) }, escalationIds: { has: id } } });
    expect(rows.map((r) => r.status)).toEqual(["skipped", "skipped"]);
    expect(await db().auditEvent.count({ where: { action: "notification.sent", escalationId: id } })).toBe(0);
  });

  it("a refused mail is retried after its backoff and audited as notification.failed once retries are spent", async () => {
    const { approvers, agent, ep } = await routed();
    const { leaseToken } = await seedLease(db(), { agentId: agent.id });
    const d = await decide(db(), ep, { leaseToken, tool: "production.deploy" });
    const dead = { smtpUrl: "smtp://user:hunter2-smtp-password@127.0.0.1:1", from: "x@example.test" };
    const only = { userIds: [approvers[0]!.id], baseUrl: BASE };
    await sendDueNotifications(db(), { ...only, mail: dead });
    const row = await db().notification.findFirstOrThrow({ where: { userId: approvers[0]!.id, escalationIds: { has: d.escalationId! } } });
    expect(row).toMatchObject({ status: "pending", attempts: 1 });
    expect(row.lastError).not.toContain("hunter2");
    // Not due again until its backoff has passed; then the real server takes it.
    await sendDueNotifications(db(), { ...only, mail });
    expect(mailsTo(approvers[0]!.email, d.escalationId!)).toEqual([]);
    advanceClock(16_000);
    await sendDueNotifications(db(), { ...only, mail });
    expect(mailsTo(approvers[0]!.email, d.escalationId!)).toHaveLength(1);
    // The other approver's mail fails for good.
    for (let i = 0; i < 6; i++) {
      await sendDueNotifications(db(), { userIds: [approvers[1]!.id], baseUrl: BASE, mail: dead });
      advanceClock(700_000);
    }
    const failed = await db().auditEvent.findFirstOrThrow({ where: { action: "notification.failed", escalationId: d.escalationId! } });
    expect(failed.payload).toMatchObject({ to: approvers[1]!.email, attempts: 6 });
    expect(JSON.stringify(failed.payload)).not.toContain("hunter2");
  });

  it("a digest lists each approver's requests about to expire unanswered, once", async () => {
    const { approvers, agent, ep, users } = await routed(4);
    const { leaseToken } = await seedLease(db(), { agentId: agent.id, grants: [{ tool: "production.deploy" }, { tool: "pull_request.merge" }] });
    const a = (await decide(db(), ep, { leaseToken, tool: "production.deploy" })).escalationId!;
    const b = (await decide(db(), ep, { leaseToken, tool: "pull_request.merge" })).escalationId!;
    // approvers[1] answered b already: their digest lists only a.
    await db().vote.create({ data: { id: `vot_${randomBytes(8).toString("hex")}`, escalationId: b, voterId: approvers[1]!.id, verdict: "approve", reason: "" } });
    // Only what concerns a and b: a digest may also list other files' requests that went to every approver.
    const digests = async () =>
      (await db().notification.findMany({ where: { kind: "expiry_digest", userId: { in: users } } }))
        .map((r) => ({ userId: r.userId, ids: r.escalationIds.filter((e) => e === a || e === b).sort() }))
        .filter((r) => r.ids.length);
    await queueExpiryDigests(db());
    expect(await digests()).toEqual([]); // 4 min window, nothing used yet
    advanceClock(3.25 * 60_000); // 45 s of 4 min left: under 25%
    await poll("the digests", async () => {
      await queueExpiryDigests(db());
      return (await db().escalation.count({ where: { id: { in: [a, b] }, digestedAt: { not: null } } })) === 2 || undefined;
    });
    await queueExpiryDigests(db());
    const rows = await digests();
    expect(rows.map((r) => [r.userId, r.ids]).sort()).toEqual(
      [
        [approvers[0]!.id, [a, b].sort()],
        [approvers[1]!.id, [a]],
      ].sort(),
    );
    await sendDueNotifications(db(), { mail, baseUrl: BASE, userIds: users });
    const m = mailsTo(approvers[0]!.email, a).find((x) => /about to expire/.test(x.raw));
    expect(m?.text).toContain(`${BASE}/approvals?escalation=${a}`);
    expect(m?.text).toContain(`${BASE}/approvals?escalation=${b}`);
  });
});
