-- Webhook secrets are encrypted at rest (lib/webhooks/secret.ts). Existing plaintext secrets become JSON
-- strings here and are encrypted in place at start, each audited as webhook.secret_encrypted.
ALTER TABLE "webhooks" ALTER COLUMN "secret" SET DATA TYPE JSONB USING to_jsonb("secret");
