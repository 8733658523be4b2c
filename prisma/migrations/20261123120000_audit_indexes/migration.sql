-- CreateIndex
CREATE INDEX "audit_events_tool_seq_idx" ON "audit_events"("tool", "seq");

-- CreateIndex
CREATE INDEX "audit_events_outcome_seq_idx" ON "audit_events"("outcome", "seq");

-- CreateIndex
CREATE INDEX "audit_events_escalationId_seq_idx" ON "audit_events"("escalationId", "seq");

-- CreateIndex
CREATE INDEX "audit_events_decisionId_idx" ON "audit_events"("decisionId");
