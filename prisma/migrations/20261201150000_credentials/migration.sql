-- The vault (issue 13): credentials bound to a connection and its catalog tools, their releases (one
-- per decision), and the PostgreSQL login roles made per lease. New tables get lanyard_app's grants
-- from the default privileges of 20261123170000_runtime_role.
-- CreateTable
CREATE TABLE "credentials" (
    "id" TEXT NOT NULL,
    "connectionId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "inject" JSONB NOT NULL,
    "tools" TEXT[],
    "config" JSONB NOT NULL DEFAULT '{}',
    "secret" JSONB,
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "rotatedAt" TIMESTAMP(3),
    "retiredAt" TIMESTAMP(3),

    CONSTRAINT "credentials_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "credential_releases" (
    "decisionId" TEXT NOT NULL,
    "enforcementPointId" TEXT NOT NULL,
    "leaseId" TEXT NOT NULL,
    "releasedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "credential_releases_pkey" PRIMARY KEY ("decisionId")
);

-- CreateTable
CREATE TABLE "dynamic_logins" (
    "id" TEXT NOT NULL,
    "leaseId" TEXT NOT NULL,
    "credentialId" TEXT NOT NULL,
    "roleName" TEXT NOT NULL,
    "secret" JSONB,
    "database" TEXT NOT NULL,
    "validUntil" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "droppedAt" TIMESTAMP(3),

    CONSTRAINT "dynamic_logins_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "credentials_connectionId_idx" ON "credentials"("connectionId");

-- CreateIndex
CREATE UNIQUE INDEX "dynamic_logins_roleName_key" ON "dynamic_logins"("roleName");

-- CreateIndex
CREATE INDEX "dynamic_logins_droppedAt_idx" ON "dynamic_logins"("droppedAt");

-- CreateIndex
CREATE UNIQUE INDEX "dynamic_logins_leaseId_credentialId_key" ON "dynamic_logins"("leaseId", "credentialId");

-- AddForeignKey
ALTER TABLE "credentials" ADD CONSTRAINT "credentials_connectionId_fkey" FOREIGN KEY ("connectionId") REFERENCES "connections"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written: a name is taken once per connection among credentials not retired (a retired one frees it).
CREATE UNIQUE INDEX credentials_live_name ON "credentials" ("connectionId", "name") WHERE "retiredAt" IS NULL;
