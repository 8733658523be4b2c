-- The explorer's filters walk (column, seq) from the newest event; with "at" as a trailing key a time
-- range is checked inside the index (Index Cond), so events newer than the range are skipped without
-- reading the heap, and no seq bound has to be derived from the time first.
-- DropIndex
DROP INDEX "audit_events_action_seq_idx";

-- DropIndex
DROP INDEX "audit_events_actorId_seq_idx";

-- DropIndex
DROP INDEX "audit_events_agentId_seq_idx";

-- DropIndex
DROP INDEX "audit_events_leaseId_seq_idx";

-- DropIndex
DROP INDEX "audit_events_outcome_seq_idx";

-- DropIndex
DROP INDEX "audit_events_runId_seq_idx";

-- DropIndex
DROP INDEX "audit_events_tool_seq_idx";

-- CreateIndex
CREATE INDEX "audit_events_seq_at_idx" ON "audit_events"("seq", "at");

-- CreateIndex
CREATE INDEX "audit_events_agentId_seq_at_idx" ON "audit_events"("agentId", "seq", "at");

-- CreateIndex
CREATE INDEX "audit_events_leaseId_seq_at_idx" ON "audit_events"("leaseId", "seq", "at");

-- CreateIndex
CREATE INDEX "audit_events_runId_seq_at_idx" ON "audit_events"("runId", "seq", "at");

-- CreateIndex
CREATE INDEX "audit_events_actorId_seq_at_idx" ON "audit_events"("actorId", "seq", "at");

-- CreateIndex
CREATE INDEX "audit_events_action_seq_at_idx" ON "audit_events"("action", "seq", "at");

-- CreateIndex
CREATE INDEX "audit_events_tool_seq_at_idx" ON "audit_events"("tool", "seq", "at");

-- CreateIndex
CREATE INDEX "audit_events_outcome_seq_at_idx" ON "audit_events"("outcome", "seq", "at");

