-- CreateTable
CREATE TABLE "audit_seals" (
    "seq" BIGINT NOT NULL,
    "hash" TEXT NOT NULL,
    "gap" BOOLEAN NOT NULL DEFAULT false,
    "sealedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_seals_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "audit_seal_state" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "lastSeq" BIGINT NOT NULL DEFAULT 0,
    "lastHash" TEXT NOT NULL,
    "count" BIGINT NOT NULL DEFAULT 0,
    "gapSeq" BIGINT,
    "gapXmax" TEXT,
    "gapSeenAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "audit_seal_state_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_checkpoints" (
    "id" TEXT NOT NULL,
    "headSeq" BIGINT NOT NULL,
    "headHash" TEXT NOT NULL,
    "count" BIGINT NOT NULL,
    "kid" TEXT NOT NULL,
    "jws" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_checkpoints_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "audit_checkpoints_createdAt_idx" ON "audit_checkpoints"("createdAt");

-- Hand-written: the chain and the checkpoints are append-only like the events they protect.
CREATE TRIGGER audit_seals_no_update_delete BEFORE UPDATE OR DELETE ON "audit_seals"
  FOR EACH ROW EXECUTE FUNCTION lanyard_audit_append_only();
CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON "audit_seals"
  FOR EACH STATEMENT EXECUTE FUNCTION lanyard_audit_append_only();
CREATE TRIGGER audit_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON "audit_checkpoints"
  FOR EACH ROW EXECUTE FUNCTION lanyard_audit_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON "audit_checkpoints"
  FOR EACH STATEMENT EXECUTE FUNCTION lanyard_audit_append_only();
INSERT INTO "audit_seal_state" ("id", "lastSeq", "lastHash", "count", "updatedAt") VALUES (1, 0, repeat('0', 64), 0, now());
