-- Hand-written: the audit chain's per-event digest is computed by PostgreSQL, so that verify can
-- recompute every link in the database, in parallel, without shipping each event to the application.
--
-- digest(e) = SHA-256 of PostgreSQL's binary form (record_send) of the row
--   (seq, id, at, action, actorType, actorId, actorLabel, agentId, runId, leaseId, escalationId,
--    decisionId, subjectType, subjectId, leaseVersion, tokenJti, tool, outcome, payload)
-- i.e. int32 column count, then per column int32 type oid, int32 length (-1 for NULL) and the value:
-- int8/int4 big-endian, timestamp as int64 microseconds since 2000-01-01, text as UTF-8, jsonb as
-- the byte 1 and jsonb's text form. Every column but the writing transaction id. lib/audit/chain.ts
-- has the same function in TypeScript (eventDigest), checked against this one by the tests.
--
-- The link is h(n) = SHA-256(h(n-1) || digest(event n)) over raw bytes (h(0) = 32 zero bytes); a seq
-- whose insert rolled back is sealed as h(n) = SHA-256(h(n-1) || 'gap:' || n). Hashes are stored hex.
--
-- STABLE, not IMMUTABLE: record_send looks the column types up. Not STRICT, so that it is inlined.
-- The text columns are sent in the client encoding: callers run with client_encoding UTF8 (checked).
CREATE FUNCTION lanyard_audit_digest(e "audit_events") RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT sha256(record_send(ROW(e."seq", e."id", e."at", e."action", e."actorType", e."actorId", e."actorLabel",
    e."agentId", e."runId", e."leaseId", e."escalationId", e."decisionId", e."subjectType", e."subjectId",
    e."leaseVersion", e."tokenJti", e."tool", e."outcome", e."payload")))
$$;

-- Chains sealed before this migration used the first formula (canonical JSON hashed in the
-- application). No release carried it; they are discarded with their checkpoints and the sealer
-- re-seals every event under this formula from seq 1.
ALTER TABLE "audit_seals" DISABLE TRIGGER audit_seals_no_truncate;
ALTER TABLE "audit_checkpoints" DISABLE TRIGGER audit_checkpoints_no_truncate;
TRUNCATE "audit_seals", "audit_checkpoints";
ALTER TABLE "audit_seals" ENABLE TRIGGER audit_seals_no_truncate;
ALTER TABLE "audit_checkpoints" ENABLE TRIGGER audit_checkpoints_no_truncate;
UPDATE "audit_seal_state" SET "lastSeq" = 0, "lastHash" = repeat('0', 64), "count" = 0, "gapSeq" = NULL, "gapXmax" = NULL, "gapSeenAt" = NULL, "updatedAt" = now() WHERE "id" = 1;
