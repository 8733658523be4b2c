-- CreateTable
CREATE TABLE "receipts" (
    "leaseId" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "agentId" TEXT NOT NULL,
    "body" JSONB NOT NULL,
    "digest" TEXT NOT NULL,
    "jws" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "receipts_pkey" PRIMARY KEY ("leaseId")
);

-- CreateIndex
CREATE INDEX "decisions_createdAt_idx" ON "decisions"("createdAt");

-- Hand-written: a receipt, once written, is never changed.
CREATE TRIGGER receipts_no_update_delete BEFORE UPDATE OR DELETE ON "receipts"
  FOR EACH ROW EXECUTE FUNCTION lanyard_audit_append_only();
