-- Issue 17: approval routing and notification outbox.
ALTER TABLE "escalations" ADD COLUMN "routeId" TEXT,
ADD COLUMN "assignedGroupIds" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN "digestedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "approval_routes" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "agentId" TEXT,
    "tool" TEXT,
    "risk" TEXT,
    "environment" TEXT,
    "groupIds" TEXT[],
    "requiredApprovals" INTEGER,
    "windowMinutes" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "approval_routes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notifications" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "escalationIds" TEXT[],
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),

    CONSTRAINT "notifications_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "approval_routes_position_idx" ON "approval_routes"("position");

-- CreateIndex
CREATE INDEX "notifications_status_nextAttemptAt_idx" ON "notifications"("status", "nextAttemptAt");
