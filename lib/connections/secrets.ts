import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { env } from "@/lib/env";
import { parseKek } from "@/lib/tokens/key-wrap";

/**
 * A connection's env (stdio) or header (http) values, which may be credentials: AES-256-GCM under the
 * key-encryption key with the connection's id as associated data, as webhook secrets are. Write-only:
 * no response carries them; the vault (issue 13) releases credentials per allowed call.
 */
export type ConnectionSecrets = { env?: Record<string, string>; headers?: Record<string, string> };
type Wrapped = { wrap: "A256GCM"; iv: string; ct: string; tag: string };

const aad = (connectionId: string) => Buffer.from(`lanyard:connection-secrets:${connectionId}`, "utf8");
const kek = () => parseKek(env().LANYARD_KEY_ENCRYPTION_KEY);

export function wrapConnectionSecrets(secrets: ConnectionSecrets, connectionId: string, key = kek()): Wrapped {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(aad(connectionId));
  const ct = Buffer.concat([cipher.update(JSON.stringify(secrets), "utf8"), cipher.final()]);
  return { wrap: "A256GCM", iv: iv.toString("base64url"), ct: ct.toString("base64url"), tag: cipher.getAuthTag().toString("base64url") };
}

/** The values; throws naming the connection, never the material, when they do not open. */
export function unwrapConnectionSecrets(stored: unknown, connectionId: string, key = kek()): ConnectionSecrets {
  const w = stored as Wrapped | null;
  if (!w || w.wrap !== "A256GCM") throw new Error(`connection ${connectionId}'s secrets are not encrypted`);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(w.iv, "base64url"), { authTagLength: 16 }).setAAD(aad(connectionId));
    decipher.setAuthTag(Buffer.from(w.tag, "base64url"));
    return JSON.parse(Buffer.concat([decipher.update(Buffer.from(w.ct, "base64url")), decipher.final()]).toString("utf8")) as ConnectionSecrets;
  } catch {
    throw new Error(`connection ${connectionId}'s secrets do not decrypt with LANYARD_KEY_ENCRYPTION_KEY`);
  }
}
