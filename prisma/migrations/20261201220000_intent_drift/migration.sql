-- Structured intent on leases, the drift mode of agents, and the drift flag of each decision (issue 15, part 3).
ALTER TABLE "agents" ADD COLUMN "driftMode" TEXT NOT NULL DEFAULT 'advisory';
ALTER TABLE "leases" ADD COLUMN "intent" JSONB;
ALTER TABLE "decisions" ADD COLUMN "drift" JSONB;

-- The hot path's chain fingerprint also covers what the intent check reads (the leases' intent, the
-- agent's drift mode): a drift mode changed by an admin makes every cached chain of that agent stale.
-- Copied from 20261201190000_policy_groups, with the intent and the drift mode added at the end of each lease's part.
CREATE OR REPLACE FUNCTION lanyard_chain_state(leaf text) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT coalesce(md5(string_agg(concat_ws('|', l."id", l."status", l."version", l."expiresAt", l."maxToolCalls", l."runId", l."agentId",
           l."environment", l."grants"::text, array_to_string(l."deny", ','), array_to_string(l."requireApproval", ','), a."status", u."status",
           u."role", u."email", a."name", array_to_string(a."environments", ','),
           'g:' || coalesce((SELECT string_agg(g."name", ',' ORDER BY g."name") FROM "group_members" m JOIN "groups" g ON g."id" = m."groupId" WHERE m."userId" = u."id"), ''),
           'i:' || coalesce(l."intent"::text, ''), 'd:' || a."driftMode"),
           ';' ORDER BY l."id")), 'none')
    || ':p' || coalesce((SELECT max("version") FROM "policy_versions"), 0)
  FROM "leases" l JOIN "agents" a ON a."id" = l."agentId" LEFT JOIN "users" u ON u."id" = l."delegatorId"
  -- one primary-key probe per lease of the chain (an OR here would scan the table)
  WHERE l."id" = ANY(ARRAY[leaf] || (SELECT "ancestorIds" FROM "leases" WHERE "id" = leaf))
$$;
