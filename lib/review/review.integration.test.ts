import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SMTPServer } from "smtp-server";
import type { AddressInfo } from "node:net";
import { db } from "@/lib/db";
import { updateAgent } from "@/lib/agents/mutations";
import { stopListening } from "@/lib/events/bus";
import { newId } from "@/lib/ids";
import { closeMailTransports } from "@/lib/notifications/mailer";
import { accessReview, unusedTools } from "@/lib/review/queries";
import { sendReviewReminders } from "@/lib/review/reminders";
import { seedAgent, seedLease, seedPerson } from "@/test/factories";
import { ownerDb } from "@/test/owner-db";

const DAY = 86_400_000;
const TOOLS = ["repo.read", "repo.commit", "ci.test.read", "pull_request.create"];

// A real SMTP server on 127.0.0.1 that keeps what it receives.
const inbox: { to: string[]; body: string }[] = [];
let smtp: SMTPServer;
let smtpUrl = "";
beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    onData(stream, session, cb) {
      let body = "";
      stream.on("data", (c: Buffer) => (body += c.toString("utf8")));
      stream.on("end", () => {
        inbox.push({ to: session.envelope.rcptTo.map((r) => r.address), body });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  closeMailTransports();
  await new Promise<void>((resolve) => smtp.close(resolve));
  stopListening();
});

/** An agent with a live lease granting three of its four ceiling tools, and decisions made up as asked. */
async function reviewed() {
  const owner = await seedPerson(db());
  const agent = await seedAgent(db(), { ownerId: owner.id, ceilingTools: TOOLS });
  const { lease } = await seedLease(db(), { agentId: agent.id, grants: [{ tool: "repo.read" }, { tool: "repo.commit" }, { tool: "ci.test.read" }], deny: [] });
  const decision = (tool: string, outcome: string, daysAgo: number) =>
    ownerDb().decision.create({ data: { id: newId("dec"), leaseId: lease.id, runId: lease.runId, agentId: agent.id, tool, outcome, reasons: [], createdAt: new Date(Date.now() - daysAgo * DAY) } });
  return { owner, agent, lease, decision };
}

describe("access review", () => {
  it("finds ceiling tools unused for 30/90 days, live grants never used, and agents without an active owner", async () => {
    const { agent, lease, decision } = await reviewed();
    await decision("repo.read", "allow", 1);
    await decision("repo.commit", "allow", 45); // used, but not in the last 30 days
    await decision("ci.test.read", "deny", 1); // a deny is not a use
    await decision("pull_request.create", "allow", 120); // older than the window
    const [r] = await accessReview(db(), { agentId: agent.id });
    expect(r!.ownerless).toBe(false);
    expect(unusedTools(r!, 30).sort()).toEqual(["ci.test.read", "pull_request.create", "repo.commit"]);
    expect(unusedTools(r!, 90).sort()).toEqual(["ci.test.read", "pull_request.create"]);
    expect(r!.tools.find((t) => t.tool === "repo.read")!.lastAllowedAt).not.toBeNull();
    expect(r!.unusedGrants).toEqual([{ leaseId: lease.id, tool: "ci.test.read", since: expect.any(String) }]);

    const gone = await seedPerson(db(), { status: "disabled" });
    const orphan = await seedAgent(db(), { ownerId: gone.id });
    const [o] = await accessReview(db(), { agentId: orphan.id });
    expect(o).toMatchObject({ ownerless: true, owner: { id: gone.id } });
  });

  it("shrinking a ceiling through the agent update path revokes the live leases that grant a removed tool, and only those", async () => {
    const { agent, lease } = await reviewed();
    const admin = await seedPerson(db(), { role: "admin" });
    const { lease: other } = await seedLease(db(), { agentId: agent.id, grants: [{ tool: "repo.read" }], deny: [] });
    await updateAgent(db(), admin, agent.id, { ceiling: { tools: ["repo.read", "repo.commit"], maxExpiresIn: 3600, maxToolCalls: 100_000 }, reason: "access review: unused for 90 days" });
    expect(await db().lease.findUniqueOrThrow({ where: { id: lease.id } })).toMatchObject({ status: "revoked", endedReason: expect.stringContaining("ci.test.read") });
    expect(await db().lease.findUniqueOrThrow({ where: { id: other.id } })).toMatchObject({ status: "active" });
    const events = await db().auditEvent.findMany({ where: { agentId: agent.id, action: { in: ["agent.updated", "lease.revoked"] } }, orderBy: { seq: "asc" } });
    expect(events.map((e) => [e.action, e.leaseId ?? null])).toEqual([["agent.updated", null], ["lease.revoked", lease.id]]);
  });

  it("mails each owner their review once per period, with the unused tools and the link, and nothing secret", async () => {
    const { owner, agent, decision } = await reviewed();
    await decision("repo.read", "allow", 2);
    const config = { smtpUrl, from: "Lanyard <lanyard@test>" };
    expect(await sendReviewReminders(db(), { config, ownerIds: [owner.id], everyDays: 30 })).toBe(1);
    const mail = inbox.filter((m) => m.to.includes(owner.email));
    expect(mail).toHaveLength(1);
    const body = mail[0]!.body.replace(/=\r?\n/g, "");
    expect(body).toContain(agent.name);
    expect(body).toMatch(/unused for 90 days: [^\n]*ci\.test\.read/);
    // The owner is no admin: the review page would answer 403, so the mail names whom to ask and links their agent.
    expect(body).toContain(`/agents/${agent.id}`);
    expect(body).toContain("Ask an admin");
    expect(body).not.toContain("/agents/review");
    expect(body).not.toMatch(/password|passwordHash|leaseToken|eyJ/i);
    const audit = await db().auditEvent.findFirstOrThrow({ where: { action: "review.reminded", subjectId: owner.id } });
    expect(audit.payload).toMatchObject({ to: owner.email, agents: [agent.id], everyDays: 30 });
    // Not again within the period.
    expect(await sendReviewReminders(db(), { config, ownerIds: [owner.id], everyDays: 30 })).toBe(0);
    expect(inbox.filter((m) => m.to.includes(owner.email))).toHaveLength(1);
    // No mail configured: nothing is sent, nothing recorded.
    expect(await sendReviewReminders(db(), { config: null, ownerIds: [owner.id], everyDays: 30 })).toBe(0);
  });
});
