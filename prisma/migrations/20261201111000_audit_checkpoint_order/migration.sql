-- CreateIndex: checkpoints are chained in headSeq order (verify walks them, the writer reads the last).
CREATE INDEX "audit_checkpoints_headSeq_idx" ON "audit_checkpoints"("headSeq");
