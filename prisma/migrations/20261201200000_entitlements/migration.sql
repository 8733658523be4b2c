-- Entitlements (issue 15): what a person may delegate, attached to a role, a group or a person. New
-- tables get lanyard_app's grants from the default privileges of 20261123170000_runtime_role.
-- CreateTable
CREATE TABLE "entitlements" (
    "id" TEXT NOT NULL,
    "subjectType" TEXT NOT NULL,
    "subjectId" TEXT NOT NULL,
    "tools" TEXT[],
    "maxRisk" TEXT,
    "environments" TEXT[],
    "resources" JSONB,
    "description" TEXT NOT NULL DEFAULT '',
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "entitlements_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "entitlements_subjectType_subjectId_idx" ON "entitlements"("subjectType", "subjectId");

-- Defaults, so an existing installation keeps working: admins and approvers may delegate everything,
-- requesters the low- and medium-risk tools, auditors nothing (no row).
INSERT INTO "entitlements" ("id", "subjectType", "subjectId", "tools", "maxRisk", "environments", "description") VALUES
  ('ent_default_role_admin', 'role', 'admin', ARRAY['*'], NULL, ARRAY['*'], 'default: admins may delegate every tool'),
  ('ent_default_role_approver', 'role', 'approver', ARRAY['*'], NULL, ARRAY['*'], 'default: approvers may delegate every tool'),
  ('ent_default_role_requester', 'role', 'requester', ARRAY['*'], 'medium', ARRAY['*'], 'default: requesters may delegate low- and medium-risk tools');
