// The product's one error type and its codes: the bottom layer, used by domain code and the HTTP layer
// alike (lib/api/error-response.ts maps these to responses).
import { z } from "zod";
import { findInError } from "@/lib/db-errors";

export const ERROR_STATUS = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  self_approval: 403,
  /** approving a high or critical request needs a proof of presence (passkey or password) from the last 5 minutes */
  reauth_required: 403,
  csrf_rejected: 403,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  store_unavailable: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

export type Issue = { path: (string | number)[]; message: string };

/** The one error type of the product; its code decides the HTTP status. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: Issue[],
    /** seconds, sent as Retry-After (429) */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = "AppError";
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what: string) => new AppError("not_found", `${what} not found`);
export const forbidden = (message = "You are not allowed to do this") => new AppError("forbidden", message);
export const conflict = (message: string) => new AppError("conflict", message);

export function zodIssues(err: z.ZodError): Issue[] {
  return err.issues.map((i) => ({ path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)), message: i.message }));
}

export function fromZod(err: z.ZodError): AppError {
  const issues = zodIssues(err);
  const first = issues[0];
  const message = first ? `${first.path.join(".") || "body"}: ${first.message}` : "invalid request";
  return new AppError("invalid_request", message, issues);
}

const UNAVAILABLE_CODE = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH|57P01|57P02|57P03|53300|08\d{3}|P1001|P1002|P1017|P2024|P2028)$/;
const UNAVAILABLE_MESSAGE = /(ECONNREFUSED|Connection terminated|connection timeout|timeout exceeded when trying to connect|Can't reach database|Server has closed the connection|terminating connection|database system is (shutting down|starting up|in recovery mode)|too many clients)/i;

/**
 * True when the database could not be reached or is going away (connection refused, reset or timed
 * out; shutting down; out of connections). Prisma nests the driver's error (e.g. under
 * meta.driverAdapterError.cause), so every nested object is looked at.
 */
export function isStoreUnavailable(err: unknown): boolean {
  return (
    findInError(err, (o) => {
      if (UNAVAILABLE_CODE.test(String(o.code)) || UNAVAILABLE_CODE.test(String(o.originalCode))) return true;
      if (typeof o.message === "string" && UNAVAILABLE_MESSAGE.test(o.message)) return true;
      return typeof o.kind === "string" && /DatabaseNotReachable|ConnectionClosed|SocketTimeout|TooManyConnections|DatabaseDoesNotExist/.test(o.kind);
    }) !== undefined
  );
}
