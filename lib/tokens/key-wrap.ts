import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { JWK } from "jose";

/**
 * Envelope encryption of the signing keys' private halves at rest: AES-256-GCM under a key-encryption
 * key that lives outside the database (LANYARD_KEY_ENCRYPTION_KEY), with the key's `kid` as associated
 * data, so a database dump or a reader of `signing_keys` cannot mint lease tokens, and a wrapped key
 * moved to another row does not open.
 */
export type WrappedJwk = { wrap: "A256GCM"; iv: string; ct: string; tag: string };

const aad = (kid: string) => Buffer.from(`lanyard:signing-key:${kid}`, "utf8");

/** The key-encryption key from its configured form: exactly 32 bytes, base64 or base64url. */
export function parseKek(raw: string): Buffer {
  const trimmed = raw.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) throw new Error("LANYARD_KEY_ENCRYPTION_KEY must be base64");
  const key = Buffer.from(trimmed.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  if (key.length !== 32) throw new Error(`LANYARD_KEY_ENCRYPTION_KEY must be 32 bytes (base64), not ${key.length}`);
  return key;
}

export function isWrapped(stored: unknown): stored is WrappedJwk {
  return !!stored && typeof stored === "object" && (stored as { wrap?: unknown }).wrap === "A256GCM";
}

export function wrapPrivateJwk(jwk: JWK, kid: string, kek: Buffer): WrappedJwk {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", kek, iv).setAAD(aad(kid));
  const ct = Buffer.concat([cipher.update(JSON.stringify(jwk), "utf8"), cipher.final()]);
  return { wrap: "A256GCM", iv: iv.toString("base64url"), ct: ct.toString("base64url"), tag: cipher.getAuthTag().toString("base64url") };
}

/** The private JWK of `kid`; throws, naming the key and never its material, if it does not open. */
export function unwrapPrivateJwk(stored: unknown, kid: string, kek: Buffer): JWK {
  if (!isWrapped(stored)) throw new Error(`signing key ${kid} is not encrypted at rest`);
  try {
    // A full 16-byte tag only: GCM would otherwise accept a truncated one, and with it a weaker check.
    const decipher = createDecipheriv("aes-256-gcm", kek, Buffer.from(stored.iv, "base64url"), { authTagLength: 16 }).setAAD(aad(kid));
    decipher.setAuthTag(Buffer.from(stored.tag, "base64url"));
    const plain = Buffer.concat([decipher.update(Buffer.from(stored.ct, "base64url")), decipher.final()]);
    return JSON.parse(plain.toString("utf8")) as JWK;
  } catch {
    throw new Error(`signing key ${kid} does not decrypt with LANYARD_KEY_ENCRYPTION_KEY: the key is not the one it was encrypted with, or the row was altered`);
  }
}
