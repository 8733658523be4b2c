import { AppError } from "@/lib/errors";
import { env } from "@/lib/env";

/**
 * CSRF defence for cookie-authenticated writes: the Origin must be this console's own origin.
 * A missing Origin or `Origin: null` is refused, not waved through. X-Forwarded-Host/-Proto are
 * believed only behind a trusted proxy (LANYARD_TRUST_PROXY=1): anyone else could name their own site.
 */
export function checkOrigin(req: { headers: Headers; url: string }, trustProxy: boolean = env().LANYARD_TRUST_PROXY): void {
  const origin = req.headers.get("origin");
  if (!origin || origin === "null") throw new AppError("csrf_rejected", "Cross-site request refused: missing Origin");
  if (!allowedOrigins(req, trustProxy).has(origin)) throw new AppError("csrf_rejected", "Cross-site request refused: foreign Origin");
}

function allowedOrigins(req: { headers: Headers; url: string }, trustProxy: boolean): Set<string> {
  const out = new Set<string>();
  if (process.env.NEXTAUTH_URL) out.add(new URL(process.env.NEXTAUTH_URL).origin);
  const forwarded = (name: string) => (trustProxy ? req.headers.get(name) : null);
  const host = forwarded("x-forwarded-host") ?? req.headers.get("host");
  if (host) {
    const proto = forwarded("x-forwarded-proto") ?? new URL(req.url).protocol.replace(":", "");
    out.add(`${proto}://${host}`);
  }
  return out;
}
