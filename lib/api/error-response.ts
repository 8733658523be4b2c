import { NextResponse } from "next/server";
import { z } from "zod";
import { isUniqueViolation } from "@/lib/db-errors";
import { AppError, fromZod, isStoreUnavailable, type Issue } from "@/lib/errors";
import { newId } from "@/lib/ids";

/** Maps anything thrown to the documented error shape. Unknown errors become a logged, generic 500. */
export function toErrorResponse(err: unknown, headers?: HeadersInit): NextResponse {
  let app: AppError;
  if (err instanceof AppError) app = err;
  else if (err instanceof z.ZodError) app = fromZod(err);
  else if (isStoreUnavailable(err)) app = new AppError("store_unavailable", "The store is unavailable; fail closed and retry");
  // Uniqueness is enforced by the database alone (insert, no read-then-create): a lost race lands here.
  else if (isUniqueViolation(err)) app = new AppError("conflict", "Already exists: another record has the same unique value");
  else if (isPrismaNotFound(err)) app = new AppError("not_found", "not found");
  else {
    const requestId = newId("evt").slice(4, 16);
    console.error(`[lanyard] unexpected error (request ${requestId})`, err);
    app = new AppError("internal", `Internal error (request ${requestId})`);
  }
  const body: { error: { code: string; message: string; issues?: Issue[] } } = { error: { code: app.code, message: app.message } };
  if (app.issues) body.error.issues = app.issues;
  const res = NextResponse.json(body, { status: app.status, headers });
  if (app.code === "store_unavailable") res.headers.set("retry-after", "1");
  if (app.retryAfter !== undefined) res.headers.set("retry-after", String(app.retryAfter));
  return res;
}

function isPrismaNotFound(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "P2025";
}
