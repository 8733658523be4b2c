-- Distinct resources touched per lease under a grant's `constraints.maxRecords` (issue 15). The primary
-- key makes a resource count once; rows are inserted under the lease row lock, in the decision's
-- transaction. New tables get lanyard_app's grants from the default privileges of 20261123170000_runtime_role.
-- CreateTable
CREATE TABLE "lease_records" (
    "leaseId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "lease_records_pkey" PRIMARY KEY ("leaseId","key")
);
