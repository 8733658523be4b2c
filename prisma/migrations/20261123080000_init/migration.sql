-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "passwordHash" TEXT,
    "status" TEXT NOT NULL DEFAULT 'active',
    "sessionVersion" INTEGER NOT NULL DEFAULT 0,
    "lastLoginAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agents" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "ownerId" TEXT,
    "environments" TEXT[],
    "ceilingTools" TEXT[],
    "ceilingMaxExpiresIn" INTEGER NOT NULL,
    "ceilingMaxToolCalls" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'active',
    "lastSeenAt" TIMESTAMP(3),
    "lastLeaseAt" TIMESTAMP(3),
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "agents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tools" (
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "risk" TEXT NOT NULL,
    "readOnly" BOOLEAN NOT NULL DEFAULT false,
    "alwaysStepUp" BOOLEAN NOT NULL DEFAULT false,
    "requiredApprovals" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "tools_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "enforcement_points" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "keyHash" TEXT NOT NULL,
    "keyPrefix" TEXT NOT NULL,
    "scopes" TEXT[],
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "enforcement_points_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "runs" (
    "id" TEXT NOT NULL,
    "agentId" TEXT NOT NULL,
    "parentRunId" TEXT,
    "purpose" TEXT NOT NULL,
    "taskRef" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "endedAt" TIMESTAMP(3),

    CONSTRAINT "runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "leases" (
    "id" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "agentId" TEXT NOT NULL,
    "parentLeaseId" TEXT,
    "ancestorIds" TEXT[],
    "delegatorId" TEXT,
    "requestedBy" TEXT NOT NULL,
    "issuedByType" TEXT NOT NULL,
    "issuedById" TEXT NOT NULL,
    "approvedById" TEXT,
    "purpose" TEXT NOT NULL,
    "taskRef" TEXT,
    "environment" TEXT NOT NULL,
    "grants" JSONB NOT NULL,
    "deny" TEXT[],
    "requireApproval" TEXT[],
    "status" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "maxToolCalls" INTEGER NOT NULL,
    "toolCallsUsed" INTEGER NOT NULL DEFAULT 0,
    "maxDelegationDepth" INTEGER NOT NULL DEFAULT 0,
    "depth" INTEGER NOT NULL DEFAULT 0,
    "version" INTEGER NOT NULL DEFAULT 1,
    "endedReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "endedAt" TIMESTAMP(3),

    CONSTRAINT "leases_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "decisions" (
    "id" TEXT NOT NULL,
    "leaseId" TEXT,
    "runId" TEXT,
    "agentId" TEXT,
    "enforcementPointId" TEXT,
    "tool" TEXT NOT NULL,
    "resource" JSONB,
    "context" JSONB,
    "outcome" TEXT NOT NULL,
    "reasons" JSONB NOT NULL,
    "escalationId" TEXT,
    "approvalId" TEXT,
    "tokenJti" TEXT,
    "leaseVersion" INTEGER,
    "latencyMs" DOUBLE PRECISION,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "decisions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "escalations" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "leaseId" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "agentId" TEXT NOT NULL,
    "decisionId" TEXT,
    "enforcementPointId" TEXT,
    "requestedById" TEXT,
    "tool" TEXT,
    "resource" JSONB,
    "justification" TEXT NOT NULL DEFAULT '',
    "dedupeKey" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "requiredApprovals" INTEGER NOT NULL DEFAULT 1,
    "approvalId" TEXT,
    "approvalExpiresAt" TIMESTAMP(3),
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedAt" TIMESTAMP(3),

    CONSTRAINT "escalations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "votes" (
    "id" TEXT NOT NULL,
    "escalationId" TEXT NOT NULL,
    "voterId" TEXT NOT NULL,
    "verdict" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "votes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_events" (
    "seq" BIGSERIAL NOT NULL,
    "id" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "action" TEXT NOT NULL,
    "actorType" TEXT NOT NULL,
    "actorId" TEXT,
    "actorLabel" TEXT,
    "agentId" TEXT,
    "runId" TEXT,
    "leaseId" TEXT,
    "escalationId" TEXT,
    "decisionId" TEXT,
    "subjectType" TEXT,
    "subjectId" TEXT,
    "leaseVersion" INTEGER,
    "tokenJti" TEXT,
    "tool" TEXT,
    "outcome" TEXT,
    "payload" JSONB NOT NULL DEFAULT '{}',
    "txid" xid8 DEFAULT pg_current_xact_id(),

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "signing_keys" (
    "kid" TEXT NOT NULL,
    "publicJwk" JSONB NOT NULL,
    "privateJwk" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'active',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retiredAt" TIMESTAMP(3),

    CONSTRAINT "signing_keys_pkey" PRIMARY KEY ("kid")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE UNIQUE INDEX "agents_name_key" ON "agents"("name");

-- CreateIndex
CREATE INDEX "agents_status_idx" ON "agents"("status");

-- CreateIndex
CREATE UNIQUE INDEX "enforcement_points_keyHash_key" ON "enforcement_points"("keyHash");

-- CreateIndex
CREATE INDEX "runs_agentId_createdAt_idx" ON "runs"("agentId", "createdAt");

-- CreateIndex
CREATE INDEX "runs_parentRunId_idx" ON "runs"("parentRunId");

-- CreateIndex
CREATE INDEX "leases_status_expiresAt_idx" ON "leases"("status", "expiresAt");

-- CreateIndex
CREATE INDEX "leases_agentId_createdAt_idx" ON "leases"("agentId", "createdAt");

-- CreateIndex
CREATE INDEX "leases_delegatorId_createdAt_idx" ON "leases"("delegatorId", "createdAt");

-- CreateIndex
CREATE INDEX "leases_runId_idx" ON "leases"("runId");

-- CreateIndex
CREATE INDEX "leases_parentLeaseId_idx" ON "leases"("parentLeaseId");

-- CreateIndex
CREATE INDEX "decisions_leaseId_createdAt_idx" ON "decisions"("leaseId", "createdAt");

-- CreateIndex
CREATE INDEX "decisions_runId_createdAt_idx" ON "decisions"("runId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "escalations_approvalId_key" ON "escalations"("approvalId");

-- CreateIndex
CREATE INDEX "escalations_status_expiresAt_idx" ON "escalations"("status", "expiresAt");

-- CreateIndex
CREATE INDEX "escalations_leaseId_idx" ON "escalations"("leaseId");

-- CreateIndex
CREATE UNIQUE INDEX "votes_escalationId_voterId_key" ON "votes"("escalationId", "voterId");

-- CreateIndex
CREATE UNIQUE INDEX "audit_events_id_key" ON "audit_events"("id");

-- CreateIndex
CREATE INDEX "audit_events_at_idx" ON "audit_events"("at");

-- CreateIndex
CREATE INDEX "audit_events_agentId_seq_idx" ON "audit_events"("agentId", "seq");

-- CreateIndex
CREATE INDEX "audit_events_leaseId_seq_idx" ON "audit_events"("leaseId", "seq");

-- CreateIndex
CREATE INDEX "audit_events_runId_seq_idx" ON "audit_events"("runId", "seq");

-- CreateIndex
CREATE INDEX "audit_events_actorId_seq_idx" ON "audit_events"("actorId", "seq");

-- CreateIndex
CREATE INDEX "audit_events_action_seq_idx" ON "audit_events"("action", "seq");

-- AddForeignKey
ALTER TABLE "agents" ADD CONSTRAINT "agents_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "enforcement_points" ADD CONSTRAINT "enforcement_points_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "runs" ADD CONSTRAINT "runs_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "agents"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "runs" ADD CONSTRAINT "runs_parentRunId_fkey" FOREIGN KEY ("parentRunId") REFERENCES "runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "leases" ADD CONSTRAINT "leases_runId_fkey" FOREIGN KEY ("runId") REFERENCES "runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "leases" ADD CONSTRAINT "leases_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "agents"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "leases" ADD CONSTRAINT "leases_parentLeaseId_fkey" FOREIGN KEY ("parentLeaseId") REFERENCES "leases"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "leases" ADD CONSTRAINT "leases_delegatorId_fkey" FOREIGN KEY ("delegatorId") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "leases" ADD CONSTRAINT "leases_approvedById_fkey" FOREIGN KEY ("approvedById") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_leaseId_fkey" FOREIGN KEY ("leaseId") REFERENCES "leases"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_enforcementPointId_fkey" FOREIGN KEY ("enforcementPointId") REFERENCES "enforcement_points"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "escalations" ADD CONSTRAINT "escalations_leaseId_fkey" FOREIGN KEY ("leaseId") REFERENCES "leases"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "escalations" ADD CONSTRAINT "escalations_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "agents"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "votes" ADD CONSTRAINT "votes_escalationId_fkey" FOREIGN KEY ("escalationId") REFERENCES "escalations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "votes" ADD CONSTRAINT "votes_voterId_fkey" FOREIGN KEY ("voterId") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written: what the schema language cannot say.

-- The audit log is append-only at the database level: no UPDATE, DELETE or TRUNCATE, whoever asks.
CREATE FUNCTION lanyard_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON "audit_events"
  FOR EACH ROW EXECUTE FUNCTION lanyard_audit_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON "audit_events"
  FOR EACH STATEMENT EXECUTE FUNCTION lanyard_audit_append_only();

-- Budgets can never be overspent, whatever code path writes them.
ALTER TABLE "leases" ADD CONSTRAINT leases_budget_within_max CHECK ("toolCallsUsed" >= 0 AND "toolCallsUsed" <= "maxToolCalls");
ALTER TABLE "leases" ADD CONSTRAINT leases_status_known CHECK ("status" IN ('pending_approval','active','expired','revoked','exhausted','completed','denied'));
ALTER TABLE "escalations" ADD CONSTRAINT escalations_status_known CHECK ("status" IN ('pending','approved','denied','expired','consumed','cancelled'));
ALTER TABLE "decisions" ADD CONSTRAINT decisions_outcome_known CHECK ("outcome" IN ('allow','deny','escalate'));

-- Free-text search over audit events (issue: audit explorer).
CREATE INDEX audit_events_payload_search ON "audit_events" USING gin (to_tsvector('simple', "action" || ' ' || coalesce("actorLabel", '') || ' ' || coalesce("tool", '') || ' ' || "payload"::text));

-- Repeated calls that need the same step-up wait on one pending escalation.
CREATE UNIQUE INDEX escalations_pending_dedupe ON "escalations" ("dedupeKey") WHERE "status" = 'pending';
