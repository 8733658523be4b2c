-- Connections: upstream tool servers that enforcement points (the MCP gateway) front (issue 12).
-- CreateTable
CREATE TABLE "connections" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "transportType" TEXT NOT NULL,
    "transport" JSONB NOT NULL,
    "secrets" JSONB,
    "tools" JSONB NOT NULL,
    "resourcesTool" TEXT,
    "promptsTool" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "connections_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "connection_assignments" (
    "connectionId" TEXT NOT NULL,
    "enforcementPointId" TEXT NOT NULL,

    CONSTRAINT "connection_assignments_pkey" PRIMARY KEY ("connectionId","enforcementPointId")
);

-- CreateIndex
CREATE UNIQUE INDEX "connections_name_key" ON "connections"("name");

-- CreateIndex
CREATE INDEX "connection_assignments_enforcementPointId_idx" ON "connection_assignments"("enforcementPointId");

-- AddForeignKey
ALTER TABLE "connection_assignments" ADD CONSTRAINT "connection_assignments_connectionId_fkey" FOREIGN KEY ("connectionId") REFERENCES "connections"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "connection_assignments" ADD CONSTRAINT "connection_assignments_enforcementPointId_fkey" FOREIGN KEY ("enforcementPointId") REFERENCES "enforcement_points"("id") ON DELETE CASCADE ON UPDATE CASCADE;
