-- AlterTable
ALTER TABLE "enforcement_points" ADD COLUMN "rateLimitPerSecond" INTEGER;

-- Hand-written: the decision hot path (server/) evaluates a lease chain it keeps in memory and commits
-- in one statement that first checks the chain is still the one it evaluated. This is that chain's
-- fingerprint: everything the decision rules read, except the budget counter (which the commit checks
-- and takes atomically). Ancestors are immutable per lease, so the leaf names its chain.
CREATE FUNCTION lanyard_chain_state(leaf text) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT coalesce(md5(string_agg(concat_ws('|', l."id", l."status", l."version", l."expiresAt", l."maxToolCalls", l."runId", l."agentId",
           l."environment", l."grants"::text, array_to_string(l."deny", ','), array_to_string(l."requireApproval", ','), a."status", u."status"),
           ';' ORDER BY l."id")), 'none')
  FROM "leases" l JOIN "agents" a ON a."id" = l."agentId" LEFT JOIN "users" u ON u."id" = l."delegatorId"
  -- one primary-key probe per lease of the chain (an OR here would scan the table)
  WHERE l."id" = ANY(ARRAY[leaf] || (SELECT "ancestorIds" FROM "leases" WHERE "id" = leaf))
$$;

-- Checks, for a verdict reached on a cached chain, that the chain is unchanged ('stale' and no rows
-- otherwise), and for an allow (take) takes one unit of budget from every lease of the chain, locking
-- them in id order (the order lanyard_take_budget locks in), only if each is active, unexpired and
-- under budget ('spent', nothing taken, otherwise). Returns 'ok' with each lease's state afterwards.
-- The caller writes the decision and its audit rows in the same statement, only on 'ok'.
CREATE FUNCTION lanyard_decide(ids text[], leaf text, expected text, take boolean, at timestamptz)
RETURNS TABLE (result text, fingerprint text, id text, "toolCallsUsed" integer, "maxToolCalls" integer, status text, "runId" text, "agentId" text, version integer)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  fp text;
  n integer;
BEGIN
  IF take THEN
    PERFORM 1 FROM "leases" WHERE "leases"."id" = ANY(ids) ORDER BY "leases"."id" FOR UPDATE;
  END IF;
  -- A new snapshot (READ COMMITTED, after the locks): what committed before us is seen.
  fp := lanyard_chain_state(leaf);
  IF fp IS DISTINCT FROM expected THEN
    RETURN QUERY SELECT 'stale'::text, fp, NULL::text, NULL::integer, NULL::integer, NULL::text, NULL::text, NULL::text, NULL::integer;
    RETURN;
  END IF;
  IF take THEN
    SELECT count(*) INTO n FROM "leases" l
    WHERE l."id" = ANY(ids) AND l."status" = 'active' AND l."expiresAt" > at AND l."toolCallsUsed" < l."maxToolCalls";
    IF n = cardinality(ids) THEN
      RETURN QUERY
        UPDATE "leases" l SET
          "toolCallsUsed" = l."toolCallsUsed" + 1,
          "status" = CASE WHEN l."toolCallsUsed" + 1 >= l."maxToolCalls" THEN 'exhausted' ELSE l."status" END,
          "endedAt" = CASE WHEN l."toolCallsUsed" + 1 >= l."maxToolCalls" THEN at ELSE l."endedAt" END,
          "endedReason" = CASE WHEN l."toolCallsUsed" + 1 >= l."maxToolCalls" THEN 'budget exhausted' ELSE l."endedReason" END
        WHERE l."id" = ANY(ids)
        RETURNING 'ok'::text, fp, l."id", l."toolCallsUsed", l."maxToolCalls", l."status", l."runId", l."agentId", l."version";
      RETURN;
    END IF;
  END IF;
  RETURN QUERY
    SELECT CASE WHEN take THEN 'spent' ELSE 'ok' END, fp, l."id", l."toolCallsUsed", l."maxToolCalls", l."status", l."runId", l."agentId", l."version"
    FROM "leases" l WHERE l."id" = ANY(ids);
END;
$$;

GRANT EXECUTE ON FUNCTION lanyard_chain_state(text) TO lanyard_app;
GRANT EXECUTE ON FUNCTION lanyard_decide(text[], text, text, boolean, timestamptz) TO lanyard_app;
