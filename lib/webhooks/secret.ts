import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { Prisma } from "@/lib/generated/prisma/client";
import { appendAudit } from "@/lib/audit/append";
import type { Db } from "@/lib/db";
import { env } from "@/lib/env";
import { parseKek } from "@/lib/tokens/key-wrap";

/**
 * Webhook signing secrets at rest, as the signing keys are: AES-256-GCM under the key-encryption key
 * (LANYARD_KEY_ENCRYPTION_KEY, outside the database), the webhook's id as associated data, so a database
 * dump cannot forge deliveries and a secret copied onto another webhook's row does not open.
 */
export type WrappedSecret = { wrap: "A256GCM"; iv: string; ct: string; tag: string };

const aad = (webhookId: string) => Buffer.from(`lanyard:webhook-secret:${webhookId}`, "utf8");
const kek = () => parseKek(env().LANYARD_KEY_ENCRYPTION_KEY);

export function isWrappedSecret(stored: unknown): stored is WrappedSecret {
  return !!stored && typeof stored === "object" && (stored as { wrap?: unknown }).wrap === "A256GCM";
}

export function wrapSecret(secret: string, webhookId: string, key = kek()): WrappedSecret {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(aad(webhookId));
  const ct = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return { wrap: "A256GCM", iv: iv.toString("base64url"), ct: ct.toString("base64url"), tag: cipher.getAuthTag().toString("base64url") };
}

/** The secret of `webhookId`; throws, naming the webhook and never the material, if it does not open. */
export function unwrapSecret(stored: unknown, webhookId: string, key = kek()): string {
  if (!isWrappedSecret(stored)) throw new Error(`webhook ${webhookId}'s secret is not encrypted at rest`);
  try {
    // A full 16-byte tag only: GCM would otherwise accept a truncated one.
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(stored.iv, "base64url"), { authTagLength: 16 }).setAAD(aad(webhookId));
    decipher.setAuthTag(Buffer.from(stored.tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(stored.ct, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    throw new Error(`webhook ${webhookId}'s secret does not decrypt with LANYARD_KEY_ENCRYPTION_KEY`);
  }
}

function opens(stored: unknown, webhookId: string, key: Buffer): boolean {
  try {
    unwrapSecret(stored, webhookId, key);
    return true;
  } catch {
    return false;
  }
}

/**
 * Encrypts in place every secret still stored in plaintext (written before encryption at rest; the
 * migration turned each into a JSON string), once each, audited as webhook.secret_encrypted; while
 * LANYARD_OLD_KEY_ENCRYPTION_KEY is set (a rotation of the key-encryption key, as for signing keys),
 * re-encrypts under the new key the secrets the old one opens (webhook.secret_rewrapped). Run at start
 * and before the first delivery; several instances may run it at once: the row locks, and the re-read
 * of a locked row once it is released, let exactly one of them change a row.
 */
export async function encryptWebhookSecrets(db: Db): Promise<number> {
  // Read as keys.ts reads it: only present for the duration of a rotation.
  const previous = process.env.LANYARD_OLD_KEY_ENCRYPTION_KEY ? parseKek(process.env.LANYARD_OLD_KEY_ENCRYPTION_KEY) : null;
  return db.$transaction(async (tx) => {
    const actor = { type: "system" as const, label: "key encryption at rest" };
    const rows = await tx.$queryRaw<{ id: string; secret: unknown }[]>(Prisma.sql`
      SELECT "id", "secret" FROM "webhooks" WHERE ${previous ? Prisma.sql`TRUE` : Prisma.sql`jsonb_typeof("secret") = 'string'`} ORDER BY "id" FOR UPDATE`);
    let changed = 0;
    for (const w of rows) {
      if (typeof w.secret === "string") {
        await tx.webhook.update({ where: { id: w.id }, data: { secret: wrapSecret(w.secret, w.id) } });
        await appendAudit(tx, { action: "webhook.secret_encrypted", actor, subject: { type: "webhook", id: w.id }, payload: { wrap: "A256GCM" } });
      } else if (previous && !opens(w.secret, w.id, kek()) && opens(w.secret, w.id, previous)) {
        await tx.webhook.update({ where: { id: w.id }, data: { secret: wrapSecret(unwrapSecret(w.secret, w.id, previous), w.id) } });
        await appendAudit(tx, { action: "webhook.secret_rewrapped", actor, subject: { type: "webhook", id: w.id }, payload: { wrap: "A256GCM" } });
      } else continue;
      changed++;
    }
    return changed;
  });
}

let encrypted: Promise<number> | undefined;

/** encryptWebhookSecrets once per process (a failure is retried next time). */
export function ensureWebhookSecretsEncrypted(db: Db): Promise<number> {
  encrypted ??= encryptWebhookSecrets(db).catch((err) => {
    encrypted = undefined;
    throw err;
  });
  return encrypted;
}
