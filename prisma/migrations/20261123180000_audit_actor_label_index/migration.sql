-- The actor filter is ("actorId" = $1 OR "actorLabel" = $1): without an index on the label, an actor
-- named by email with few events was found by walking the whole log backward.
-- CreateIndex
CREATE INDEX "audit_events_actorLabel_seq_at_idx" ON "audit_events"("actorLabel", "seq", "at");
