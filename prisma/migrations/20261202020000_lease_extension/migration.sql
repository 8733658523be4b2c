-- An escalation of kind "extension" carries the limits it asks a live lease to be raised to.
ALTER TABLE "escalations" ADD COLUMN "extension" JSONB;
