-- Issue 12: a decision carries the call's arguments (or only their digest), a step-up escalation the
-- digest its approval is bound to, and an allowed call's outcome is reported once into its own table
-- (the decision row never changes). New tables get lanyard_app's grants from the default privileges
-- of 20261123170000_runtime_role.
-- AlterTable
ALTER TABLE "decisions" ADD COLUMN     "arguments" JSONB,
ADD COLUMN     "argumentsDigest" TEXT;

-- AlterTable
ALTER TABLE "escalations" ADD COLUMN     "arguments" JSONB,
ADD COLUMN     "argumentsDigest" TEXT;

-- CreateTable
CREATE TABLE "decision_outcomes" (
    "decisionId" TEXT NOT NULL,
    "enforcementPointId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "resultDigest" TEXT,
    "durationMs" DOUBLE PRECISION,
    "summary" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "decision_outcomes_pkey" PRIMARY KEY ("decisionId")
);

-- AddForeignKey
ALTER TABLE "decision_outcomes" ADD CONSTRAINT "decision_outcomes_decisionId_fkey" FOREIGN KEY ("decisionId") REFERENCES "decisions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

ALTER TABLE "decision_outcomes" ADD CONSTRAINT decision_outcomes_status_known CHECK ("status" IN ('ok','error'));
