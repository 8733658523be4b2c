-- Issue 14: policies read the delegator's groups (Person in Group::"<name>"). The hot path's chain
-- fingerprint therefore names them too: adding or removing the delegating person from a group (or
-- renaming one of theirs) makes a cached verdict stale at commit, evaluated again. Copied from
-- 20261201170000_policies, with the sorted group names added at the end of each lease's part.
CREATE OR REPLACE FUNCTION lanyard_chain_state(leaf text) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT coalesce(md5(string_agg(concat_ws('|', l."id", l."status", l."version", l."expiresAt", l."maxToolCalls", l."runId", l."agentId",
           l."environment", l."grants"::text, array_to_string(l."deny", ','), array_to_string(l."requireApproval", ','), a."status", u."status",
           u."role", u."email", a."name", array_to_string(a."environments", ','),
           'g:' || coalesce((SELECT string_agg(g."name", ',' ORDER BY g."name") FROM "group_members" m JOIN "groups" g ON g."id" = m."groupId" WHERE m."userId" = u."id"), '')),
           ';' ORDER BY l."id")), 'none')
    || ':p' || coalesce((SELECT max("version") FROM "policy_versions"), 0)
  FROM "leases" l JOIN "agents" a ON a."id" = l."agentId" LEFT JOIN "users" u ON u."id" = l."delegatorId"
  -- one primary-key probe per lease of the chain (an OR here would scan the table)
  WHERE l."id" = ANY(ARRAY[leaf] || (SELECT "ancestorIds" FROM "leases" WHERE "id" = leaf))
$$;
