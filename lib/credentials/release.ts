import { Prisma } from "@/lib/generated/prisma/client";
import { AppError, conflict, forbidden, notFound } from "@/lib/errors";
import { appendAudit, type AuditActor } from "@/lib/audit/append";
import type { EnforcementPointActor } from "@/lib/auth/enforcement-point";
import { now } from "@/lib/clock";
import type { Db, Tx } from "@/lib/db";
import { env } from "@/lib/env";
import { mintOboToken } from "@/lib/credentials/obo";
import { ensureDynamicLogin } from "@/lib/credentials/postgres-dynamic";
import type { CredentialKind, Inject, ReleaseRequest, ReleaseResponse } from "@/lib/credentials/schemas";
import { unseal } from "@/lib/credentials/secret";
import type { Grant } from "@/lib/leases/schemas";
import { verifyLeaseToken } from "@/lib/tokens/lease-token";

type LeaseRow = { id: string; runId: string; agentId: string; status: string; expiresAt: Date; toolCallsUsed: number; maxToolCalls: number; version: number; delegatorId: string | null; requestedBy: string; grants: Grant[]; deny: string[] };
type Mode = "decision" | "session_start";
type Released = ReleaseResponse["credentials"][number];

/**
 * POST /api/v1/credentials/release. The secret leaves Lanyard only here, only to a key with
 * credentials:use, and only:
 * - for a decision: the allow this key received, within LANYARD_CREDENTIAL_RELEASE_WINDOW_S of it, once;
 *   the credentials of connections assigned to the key that serve the decided tool;
 * - at a session start (a stdio upstream that needs its environment before any call): for the lease of
 *   a valid lease token, the env-injected static and postgres-dynamic credentials of one connection
 *   assigned to the key that serve a tool the lease grants.
 * Either way the lease (and each ancestor) is locked FOR SHARE while releasing, so a revoke, completion
 * or suspension either committed before (and nothing is released) or waits until the release committed
 * (and then ends the lease, and with it any dynamic login).
 *
 * What "live" means here: for a decision, active, or exhausted — the allow being released took one of
 * the budget's units before the lease ran out, and exhaustion ends only later calls; never revoked,
 * completed or expired, and never past the lease's expiry. An exhausted lease gets no postgres-dynamic
 * login (its login is being dropped). For a session start, strictly active, unexpired and with budget left.
 */
export async function releaseCredentials(db: Db, ep: EnforcementPointActor, input: ReleaseRequest): Promise<ReleaseResponse> {
  return "decisionId" in input ? releaseForDecision(db, ep, input.decisionId, input.connectionId) : releaseForSession(db, ep, input.leaseToken, input.connectionId);
}

async function releaseForDecision(db: Db, ep: EnforcementPointActor, decisionId: string, connectionId?: string): Promise<ReleaseResponse> {
  const d = await db.decision.findUnique({ where: { id: decisionId }, select: { id: true, leaseId: true, enforcementPointId: true, outcome: true, tool: true, createdAt: true } });
  if (!d) throw notFound(`decision ${decisionId}`);
  if (d.enforcementPointId !== ep.id) throw forbidden(`decision ${decisionId} was made for another enforcement point`);
  if (d.outcome !== "allow" || !d.leaseId) throw forbidden(`decision ${decisionId} was ${d.outcome}: credentials are released only for an allow`);
  const windowMs = env().LANYARD_CREDENTIAL_RELEASE_WINDOW_S * 1000;
  if (now().getTime() - d.createdAt.getTime() > windowMs) throw conflict(`decision ${decisionId} is older than the release window (${windowMs / 1000} s)`);
  const leaseId = d.leaseId;
  return db.$transaction(
    async (tx) => {
      const lease = await lockLive(tx, leaseId, "decision");
      // Once per decision: the key of credential_releases; a second release finds it taken.
      const first = await tx.$queryRaw<unknown[]>(Prisma.sql`
        INSERT INTO "credential_releases" ("decisionId", "enforcementPointId", "leaseId") VALUES (${d.id}, ${ep.id}, ${leaseId})
        ON CONFLICT ("decisionId") DO NOTHING RETURNING "decisionId"`);
      if (!first.length) throw conflict(`the credentials of decision ${decisionId} were already released`);
      const creds = await candidates(tx, ep, { tool: d.tool, connectionId });
      return { credentials: await materialize(db, tx, ep, creds, lease, { mode: "decision", tool: d.tool, decisionId: d.id }) };
    },
    { timeout: 30_000 },
  );
}

async function releaseForSession(db: Db, ep: EnforcementPointActor, leaseToken: string, connectionId: string): Promise<ReleaseResponse> {
  const token = await verifyLeaseToken(db, leaseToken);
  if (!token.ok) throw forbidden(`leaseToken: ${token.message}`);
  const assigned = await db.connectionAssignment.findUnique({ where: { connectionId_enforcementPointId: { connectionId, enforcementPointId: ep.id } } });
  if (!assigned) throw notFound(`connection ${connectionId}`);
  return db.$transaction(
    async (tx) => {
      const lease = await lockLive(tx, token.claims.leaseId, "session_start");
      const denied = new Set(lease.deny);
      const granted = lease.grants.map((g) => g.tool).filter((t) => !denied.has(t));
      const creds = (await candidates(tx, ep, { tools: granted, connectionId })).filter((c) => c.kind !== "obo" && "env" in (c.inject as Inject));
      return { credentials: await materialize(db, tx, ep, creds, lease, { mode: "session_start", tool: null, decisionId: null }) };
    },
    { timeout: 30_000 },
  );
}

/** The lease and its ancestors, locked FOR SHARE in id order (as revocation and decisions lock them); 409 unless live. */
async function lockLive(tx: Tx, leaseId: string, mode: Mode): Promise<LeaseRow> {
  const head = await tx.lease.findUnique({ where: { id: leaseId }, select: { ancestorIds: true } });
  if (!head) throw notFound(`lease ${leaseId}`);
  const ids = [leaseId, ...head.ancestorIds].sort();
  const rows = await tx.$queryRaw<LeaseRow[]>(Prisma.sql`
    SELECT "id", "runId", "agentId", "status", "expiresAt", "toolCallsUsed", "maxToolCalls", "version", "delegatorId", "requestedBy", "grants", "deny"
    FROM "leases" WHERE "id" = ANY(${ids}::text[]) ORDER BY "id" FOR SHARE`);
  const at = now().getTime();
  for (const l of rows) {
    const which = l.id === leaseId ? `lease ${leaseId}` : `its ancestor lease ${l.id}`;
    const live = mode === "decision" ? l.status === "active" || l.status === "exhausted" : l.status === "active" && l.toolCallsUsed < l.maxToolCalls;
    if (!live) throw conflict(`${which} is ${l.status === "active" ? "out of budget" : l.status}: nothing more is released`);
    if (l.expiresAt.getTime() <= at) throw conflict(`${which} has expired: nothing more is released`);
  }
  return rows.find((l) => l.id === leaseId)!;
}

type Candidate = { id: string; connectionId: string; name: string; kind: string; inject: unknown; config: unknown; secret: unknown; version: number };

/** Live credentials of connections assigned to this key that serve `tool` (or any of `tools`). */
async function candidates(tx: Tx, ep: EnforcementPointActor, q: { tool?: string; tools?: string[]; connectionId?: string }): Promise<Candidate[]> {
  const serves = q.tool !== undefined ? Prisma.sql`${q.tool} = ANY(c."tools")` : Prisma.sql`c."tools" && ${q.tools ?? []}::text[]`;
  const one = q.connectionId ? Prisma.sql`AND c."connectionId" = ${q.connectionId}` : Prisma.empty;
  // FOR SHARE: a rotation or retirement under way either committed before (its material is used, or none) or waits.
  return tx.$queryRaw<Candidate[]>(Prisma.sql`
    SELECT c."id", c."connectionId", c."name", c."kind", c."inject", c."config", c."secret", c."version"
    FROM "credentials" c JOIN "connection_assignments" a ON a."connectionId" = c."connectionId" AND a."enforcementPointId" = ${ep.id}
    WHERE c."retiredAt" IS NULL AND ${serves} ${one}
    ORDER BY c."connectionId", c."name" FOR SHARE OF c`);
}

/** Each credential's value for this release, and its audit event (never the value). `db` signs (the signing keys are cached). */
async function materialize(db: Db, tx: Tx, ep: EnforcementPointActor, creds: Candidate[], lease: LeaseRow, m: { mode: Mode; tool: string | null; decisionId: string | null }): Promise<Released[]> {
  const out: Released[] = [];
  const actor: AuditActor = { type: "enforcement_point", id: ep.id, label: ep.name };
  for (const c of creds) {
    const inject = c.inject as Inject;
    let value: string;
    let expiresAt: Date | null = null;
    let dynamicLogin: string | undefined;
    if (c.kind === "static") {
      value = unseal(c.secret, "credential", c.id).value!;
    } else if (c.kind === "obo") {
      const cfg = c.config as { audience: string; ttlSeconds?: number };
      const person = lease.delegatorId ? ((await tx.user.findUnique({ where: { id: lease.delegatorId }, select: { email: true } }))?.email ?? lease.requestedBy) : lease.requestedBy;
      const minted = await mintOboToken(db, { person, runId: lease.runId, leaseId: lease.id, audience: cfg.audience, tool: m.tool!, leaseExpiresAt: lease.expiresAt, ttlSeconds: cfg.ttlSeconds ?? 300 });
      // In an Authorization header a bearer token goes with its scheme.
      value = "header" in inject && inject.header.toLowerCase() === "authorization" ? `Bearer ${minted.token}` : minted.token;
      expiresAt = minted.expiresAt;
    } else if (c.kind === "postgres-dynamic") {
      if (lease.status !== "active") continue;
      const cfg = c.config as { groupRole: string; database: string };
      const login = await ensureDynamicLogin(tx, { id: c.id, adminUrl: unseal(c.secret, "credential", c.id).adminUrl!, groupRole: cfg.groupRole, database: cfg.database }, lease);
      value = login.url;
      expiresAt = lease.expiresAt;
      dynamicLogin = login.roleName;
    } else {
      throw new AppError("internal", `credential ${c.id} has an unknown kind`);
    }
    out.push({ name: c.name, connectionId: c.connectionId, kind: c.kind as CredentialKind, inject, value, expiresAt: expiresAt?.toISOString() ?? null });
    await appendAudit(tx, {
      action: "credential.released",
      actor,
      subject: { type: "credential", id: c.id },
      decisionId: m.decisionId,
      leaseId: lease.id,
      runId: lease.runId,
      agentId: lease.agentId,
      leaseVersion: lease.version,
      tool: m.tool,
      payload: { connectionId: c.connectionId, credential: c.name, kind: c.kind, version: c.version, mode: m.mode, expiresAt: expiresAt?.toISOString() ?? null, ...(dynamicLogin ? { dynamicLogin } : {}) },
    });
  }
  return out;
}
