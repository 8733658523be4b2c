import { createHash } from "node:crypto";
import { Prisma } from "@/lib/generated/prisma/client";
import { appendAudit } from "@/lib/audit/append";
import type { Actor } from "@/lib/auth/permissions";
import type { Db, Tx } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { publish } from "@/lib/events/bus";
import { forgetLivePolicy } from "@/lib/policy/current";
import { lineDiff } from "@/lib/policy/diff";
import { compilePolicySet } from "@/lib/policy/evaluate";
import { loadSchemaData } from "@/lib/policy/schema";
import type { PolicyVersionView } from "@/lib/policy/schemas";
import { STARTER_POLICY } from "@/lib/policy/starter";
import { parsePolicies, type PolicyProblem } from "@/lib/policy/text";

const MAX_VERSIONS_LISTED = 100;

/** The new version, its audit event and its announcement, in the caller's transaction (publish, the demo seed). */
async function insertVersion(tx: Tx, actor: { id: string; email: string }, input: { text: string; message: string }, policyIds: string[]) {
  await tx.$executeRaw(Prisma.sql`SELECT pg_advisory_xact_lock(hashtext('lanyard.policy.publish'))`);
  const prev = await tx.policyVersion.findFirst({ orderBy: { version: "desc" }, select: { version: true, text: true } });
  const version = (prev?.version ?? 0) + 1;
  const diff = lineDiff(prev?.text ?? "", input.text);
  const created = await tx.policyVersion.create({ data: { version, text: input.text, message: input.message, authorId: actor.id, authorEmail: actor.email, diff, policyIds } });
  const lines = diff ? diff.split("\n") : [];
  await appendAudit(tx, {
    action: "policy.published",
    actor: { type: "user", id: actor.id, label: actor.email },
    subject: { type: "policy", id: `v${version}` },
    payload: {
      version,
      previousVersion: prev?.version ?? null,
      message: input.message,
      policyIds,
      textSha256: createHash("sha256").update(input.text).digest("hex"),
      linesAdded: lines.filter((l) => l.startsWith("+")).length,
      linesRemoved: lines.filter((l) => l.startsWith("-")).length,
    },
  });
  await publish(tx, { type: "policy.changed", version });
  return created;
}

/** The demo data's starter policy set, published by the demo admin in the demo seed's transaction. */
export async function seedStarterPolicy(tx: Tx, admin: { id: string; email: string }): Promise<void> {
  const compiled = compilePolicySet(STARTER_POLICY, await loadSchemaData(tx));
  if (!compiled.ok) throw new Error(`the starter policy does not validate: ${JSON.stringify(compiled.errors)}`);
  await insertVersion(tx, admin, { text: STARTER_POLICY, message: "Starter policy set (demo data)" }, compiled.set.policies.map((p) => p.id));
}

/** Whether a text would publish: parsed and validated against the schema generated from today's data. */
export async function validatePolicyText(db: Db, text: string): Promise<{ valid: boolean; errors: PolicyProblem[] }> {
  const c = compilePolicySet(text, await loadSchemaData(db));
  return c.ok ? { valid: true, errors: [] } : { valid: false, errors: c.errors };
}

/** GET /api/v1/policies: the published text and its policies, and the versions before it (newest first). */
export async function listPolicies(db: Db) {
  const rows = await db.policyVersion.findMany({ orderBy: { version: "desc" }, take: MAX_VERSIONS_LISTED });
  const versions: PolicyVersionView[] = rows.map((r) => ({ version: r.version, message: r.message, authorEmail: r.authorEmail, createdAt: r.createdAt.toISOString(), policyIds: r.policyIds, diff: r.diff }));
  const head = rows[0];
  if (!head) return { current: null, versions };
  const parsed = parsePolicies(head.text);
  const policies = parsed.ok
    ? parsed.policies.map((p) => ({ id: p.id, line: p.line, escalate: p.annotations.escalate ?? null, approvals: p.annotations.approvals ? Number(p.annotations.approvals) : null, reason: p.annotations.reason ?? null }))
    : [];
  return { current: { version: head.version, text: head.text, message: head.message, authorEmail: head.authorEmail, createdAt: head.createdAt.toISOString(), policies }, versions };
}

/**
 * POST /api/v1/policies/publish: a new immutable version, if the text validates (else 422 and nothing
 * is written), with its diff against the version before, audited in the same transaction. Publishes
 * are serialised (a transaction-scoped advisory lock), so versions are gapless and each diff is against
 * its true predecessor.
 */
export async function publishPolicy(db: Db, actor: Actor, input: { text: string; message: string }) {
  const compiled = compilePolicySet(input.text, await loadSchemaData(db));
  if (!compiled.ok) {
    throw new AppError("unprocessable", `the policy does not validate: ${compiled.errors[0]!.message}`, compiled.errors.map((e) => ({ path: ["text", ...(e.line ? [e.line] : [])], message: e.policyId ? `${e.policyId}: ${e.message}` : e.message })));
  }
  const policyIds = compiled.set.policies.map((p) => p.id);
  const row = await db.$transaction((tx) => insertVersion(tx, actor, input, policyIds));
  forgetLivePolicy();
  return { version: row.version, message: row.message, authorEmail: row.authorEmail, createdAt: row.createdAt.toISOString(), policyIds: row.policyIds, diff: row.diff };
}
