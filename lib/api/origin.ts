import { AppError } from "@/lib/api/errors";

/**
 * CSRF defence for cookie-authenticated writes: the Origin must be this console's own origin.
 * A missing Origin or `Origin: null` is refused, not waved through.
 */
export function checkOrigin(req: { headers: Headers; url: string }): void {
  const origin = req.headers.get("origin");
  if (!origin || origin === "null") throw new AppError("csrf_rejected", "Cross-site request refused: missing Origin");
  if (!allowedOrigins(req).has(origin)) throw new AppError("csrf_rejected", "Cross-site request refused: foreign Origin");
}

function allowedOrigins(req: { headers: Headers; url: string }): Set<string> {
  const out = new Set<string>();
  if (process.env.NEXTAUTH_URL) out.add(new URL(process.env.NEXTAUTH_URL).origin);
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host");
  if (host) {
    const proto = req.headers.get("x-forwarded-proto") ?? new URL(req.url).protocol.replace(":", "");
    out.add(`${proto}://${host}`);
  }
  return out;
}
