-- Issue 14: policies as code (Cedar). Each publish is a new immutable version; every decision records
-- the policy version in force and the policies that determined it. New tables get lanyard_app's grants
-- from the default privileges of 20261123170000_runtime_role.
-- AlterTable
ALTER TABLE "decisions" ADD COLUMN     "policy" JSONB;

-- CreateTable
CREATE TABLE "policy_versions" (
    "version" INTEGER NOT NULL,
    "text" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "authorId" TEXT,
    "authorEmail" TEXT NOT NULL,
    "diff" TEXT NOT NULL,
    "policyIds" TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "policy_versions_pkey" PRIMARY KEY ("version")
);

-- Hand-written: a published version is never changed or removed (what a decision says it was decided
-- under must stay readable); a new version replaces it.
CREATE TRIGGER policy_versions_no_update_delete BEFORE UPDATE OR DELETE ON "policy_versions"
  FOR EACH ROW EXECUTE FUNCTION lanyard_audit_append_only();
CREATE TRIGGER policy_versions_no_truncate BEFORE TRUNCATE ON "policy_versions"
  FOR EACH STATEMENT EXECUTE FUNCTION lanyard_audit_append_only();

-- Hand-written: the hot path's chain fingerprint also names the policy version in force (':p<version>'),
-- so a verdict reached under another version is stale at commit and evaluated again; and the
-- delegator's role and the agent's name, which policies read.
CREATE OR REPLACE FUNCTION lanyard_chain_state(leaf text) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT coalesce(md5(string_agg(concat_ws('|', l."id", l."status", l."version", l."expiresAt", l."maxToolCalls", l."runId", l."agentId",
           l."environment", l."grants"::text, array_to_string(l."deny", ','), array_to_string(l."requireApproval", ','), a."status", u."status",
           u."role", u."email", a."name", array_to_string(a."environments", ',')),
           ';' ORDER BY l."id")), 'none')
    || ':p' || coalesce((SELECT max("version") FROM "policy_versions"), 0)
  FROM "leases" l JOIN "agents" a ON a."id" = l."agentId" LEFT JOIN "users" u ON u."id" = l."delegatorId"
  -- one primary-key probe per lease of the chain (an OR here would scan the table)
  WHERE l."id" = ANY(ARRAY[leaf] || (SELECT "ancestorIds" FROM "leases" WHERE "id" = leaf))
$$;
