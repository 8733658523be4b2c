import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { env } from "@/lib/env";
import { parseKek } from "@/lib/tokens/key-wrap";

/**
 * Vault material at rest, as signing keys and webhook secrets are: AES-256-GCM under the key-encryption
 * key (LANYARD_KEY_ENCRYPTION_KEY, outside the database) with the row's id as associated data, so a
 * database dump yields nothing usable and material copied onto another row does not open.
 */
export type Sealed = { wrap: "A256GCM"; iv: string; ct: string; tag: string };
export type SealedKind = "credential" | "dynamic-login";

const aad = (kind: SealedKind, id: string) => Buffer.from(`lanyard:${kind}:${id}`, "utf8");
const kek = () => parseKek(env().LANYARD_KEY_ENCRYPTION_KEY);

export function seal(material: Record<string, string>, kind: SealedKind, id: string, key = kek()): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(aad(kind, id));
  const ct = Buffer.concat([cipher.update(JSON.stringify(material), "utf8"), cipher.final()]);
  return { wrap: "A256GCM", iv: iv.toString("base64url"), ct: ct.toString("base64url"), tag: cipher.getAuthTag().toString("base64url") };
}

/** The material of `id`; throws naming the row, never the material, when it does not open. */
export function unseal(stored: unknown, kind: SealedKind, id: string, key = kek()): Record<string, string> {
  const w = stored as Sealed | null;
  if (!w || typeof w !== "object" || w.wrap !== "A256GCM") throw new Error(`${kind} ${id} holds no encrypted material`);
  try {
    // A full 16-byte tag only: GCM would otherwise accept a truncated one.
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(w.iv, "base64url"), { authTagLength: 16 }).setAAD(aad(kind, id));
    decipher.setAuthTag(Buffer.from(w.tag, "base64url"));
    return JSON.parse(Buffer.concat([decipher.update(Buffer.from(w.ct, "base64url")), decipher.final()]).toString("utf8")) as Record<string, string>;
  } catch {
    throw new Error(`${kind} ${id}'s material does not decrypt with LANYARD_KEY_ENCRYPTION_KEY`);
  }
}
