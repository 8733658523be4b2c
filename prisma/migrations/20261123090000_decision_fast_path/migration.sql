-- The decision hot path commits in one statement. This function takes one unit of budget from every
-- lease of a chain (leaf and ancestors), locking the rows in id order so that concurrent chains cannot
-- deadlock, and only where the lease is active, unexpired and under budget. If any lease of the chain
-- cannot be spent it raises LYBUD, which aborts the whole statement: no partial spend, no decision row.
CREATE FUNCTION lanyard_take_budget(ids text[], at timestamptz)
RETURNS TABLE (id text, "toolCallsUsed" integer, "maxToolCalls" integer, status text, "runId" text, "agentId" text, version integer)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  n integer;
BEGIN
  PERFORM 1 FROM "leases" WHERE "leases"."id" = ANY(ids) ORDER BY "leases"."id" FOR UPDATE;
  RETURN QUERY
    UPDATE "leases" l SET
      "toolCallsUsed" = l."toolCallsUsed" + 1,
      "status" = CASE WHEN l."toolCallsUsed" + 1 >= l."maxToolCalls" THEN 'exhausted' ELSE l."status" END,
      "endedAt" = CASE WHEN l."toolCallsUsed" + 1 >= l."maxToolCalls" THEN at ELSE l."endedAt" END,
      "endedReason" = CASE WHEN l."toolCallsUsed" + 1 >= l."maxToolCalls" THEN 'budget exhausted' ELSE l."endedReason" END
    WHERE l."id" = ANY(ids) AND l."status" = 'active' AND l."expiresAt" > at AND l."toolCallsUsed" < l."maxToolCalls"
    RETURNING l."id", l."toolCallsUsed", l."maxToolCalls", l."status", l."runId", l."agentId", l."version";
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n <> cardinality(ids) THEN
    RAISE EXCEPTION 'lanyard: lease chain cannot be spent' USING ERRCODE = 'LYBUD';
  END IF;
END;
$$;
