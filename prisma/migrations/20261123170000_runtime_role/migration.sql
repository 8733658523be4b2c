-- Hand-written: the role the application runs as, with least privilege. Migrations run as the
-- schema's owner; the console and API connect as a login role that is a member of lanyard_app (in
-- the embedded setup, lanyard_app itself, given a password by scripts/start.ts). It reads and writes
-- the domain tables but can only INSERT into the audit log, its seals, checkpoints and receipts:
-- UPDATE, DELETE and TRUNCATE are refused by PostgreSQL's privilege check before any trigger runs
-- (the append-only triggers stay, for the owner). It cannot touch the migration history.
--
-- Creating the role needs CREATEROLE; where the migrating user lacks it, create lanyard_app first.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lanyard_app') THEN
    CREATE ROLE lanyard_app NOLOGIN;
  END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO lanyard_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO lanyard_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO lanyard_app;
DO $$
BEGIN
  -- (absent from the shadow database prisma migrate diff replays these into)
  IF to_regclass('"_prisma_migrations"') IS NOT NULL THEN
    REVOKE ALL ON "_prisma_migrations" FROM lanyard_app;
  END IF;
END
$$;
REVOKE UPDATE, DELETE, TRUNCATE ON "audit_events", "audit_seals", "audit_checkpoints", "receipts" FROM lanyard_app;
-- Tables later migrations create get the same grants; an append-only one revokes as above.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO lanyard_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO lanyard_app;
