-- Hand-written: receipts refuse TRUNCATE as the audit tables do. Their row trigger does not fire on
-- TRUNCATE, so until now the owner could empty the table in one statement.
CREATE TRIGGER receipts_no_truncate BEFORE TRUNCATE ON "receipts"
  FOR EACH STATEMENT EXECUTE FUNCTION lanyard_audit_append_only();

-- The refusal names the table it guards (it said audit_events for every table).
CREATE OR REPLACE FUNCTION lanyard_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
