import { AppError } from "@/lib/errors";

/**
 * Refuses, with 400 invalid_request, a request target whose path does not percent-decode (a raw `%`,
 * `%zz`, or escapes that are not UTF-8). Next's router fails on these with a text/plain 500 before
 * any route or the proxy runs, so Lanyard's own server calls this first, for every request.
 */
export function assertRoutablePath(url: string): void {
  const path = url.split("?", 1)[0]!;
  try {
    decodeURIComponent(path);
  } catch {
    throw new AppError("invalid_request", "path: malformed percent-encoding (write a literal % as %25)");
  }
}
