/**
 * Limits on one HTTP request, in one place: withApi enforces the body ones, and the custom server
 * (server/) sets Node's headersTimeout/requestTimeout from the same numbers.
 */
import { env } from "@/lib/env";

/** The largest JSON body any v1 route reads. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Free-form JSON (context, attributes, payloads) nests at most this deep: deeper input would risk the stack of zod, JSON.stringify and jsonb. */
export const MAX_JSON_DEPTH = 32;
/** Default of LANYARD_BODY_TIMEOUT_MS: a body must arrive whole within this long after the handler starts reading it. */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;
/** For the custom server: the request line and headers must arrive within this long (Node's headersTimeout). */
export const HEADERS_TIMEOUT_MS = 10_000;

/** How long a body may take to arrive (LANYARD_BODY_TIMEOUT_MS); a body trickled slower is cut off with 408. */
export function bodyTimeoutMs(): number {
  return env().LANYARD_BODY_TIMEOUT_MS;
}

/** For the custom server: the whole request (headers and body) must arrive within this long (Node's requestTimeout). */
export function requestTimeoutMs(): number {
  return HEADERS_TIMEOUT_MS + bodyTimeoutMs();
}
