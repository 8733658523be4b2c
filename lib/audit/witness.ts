import { appendFile } from "node:fs/promises";
import { env } from "@/lib/env";

/** Where signed checkpoints go besides the database: a URL that receives each one, an append-only file. */
export type WitnessTargets = { url?: string; file?: string };

export function witnessTargets(): WitnessTargets {
  const e = env();
  return { url: e.LANYARD_CHECKPOINT_WITNESS_URL, file: e.LANYARD_CHECKPOINT_WITNESS_FILE };
}

export type WitnessOptions = { attempts?: number; baseDelayMs?: number; timeoutMs?: number };

/**
 * Hands a checkpoint JWS to the witnesses, outside the database an owner could rewrite: one line
 * appended to the file (O_APPEND, so lines from several instances never interleave) and a POST of the
 * JWS to the URL, retried with backoff. Best-effort: each checkpoint names the one before it, so a
 * witness that missed one still holds a later head. Never throws; says which deliveries succeeded.
 */
export async function deliverToWitness(jws: string, targets: WitnessTargets, opts: WitnessOptions = {}): Promise<{ file?: boolean; url?: boolean }> {
  const out: { file?: boolean; url?: boolean } = {};
  const [file, url] = await Promise.all([
    targets.file ? appendFile(targets.file, `${jws}\n`, { flag: "a" }).then(() => true, (err: unknown) => warn("file", err)) : undefined,
    targets.url ? post(targets.url, jws, opts) : undefined,
  ]);
  if (file !== undefined) out.file = file;
  if (url !== undefined) out.url = url;
  return out;
}

async function post(url: string, jws: string, { attempts = 5, baseDelayMs = 2_000, timeoutMs = 10_000 }: WitnessOptions): Promise<boolean> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, baseDelayMs * 2 ** (i - 1)));
    try {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/jose" }, body: jws, redirect: "error", signal: AbortSignal.timeout(timeoutMs) });
      await res.body?.cancel();
      if (res.ok) return true;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err;
    }
  }
  return warn(`URL (${attempts} attempts)`, last);
}

// The URL may carry credentials, so it is never logged; the file path is the operator's own.
function warn(target: string, err: unknown): false {
  console.error(`[lanyard] checkpoint witness: delivery to the ${target} failed:`, err instanceof Error ? err.message : String(err));
  return false;
}
