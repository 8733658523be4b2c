import { NextResponse, type NextRequest } from "next/server";
import type { z } from "zod";
import type { Caller } from "@/lib/auth/caller";
import { AppError, fromZod } from "@/lib/errors";
import { toErrorResponse } from "@/lib/api/error-response";
import type { Operation } from "@/lib/api/operation";
import { authenticateEnforcementPoint, checkBodyHeaders, parseJsonBody } from "@/lib/api/ep-request";
import { can } from "@/lib/auth/permissions";
import { currentActor } from "@/lib/auth/session";
import { checkOrigin } from "@/lib/api/origin";
import { assertCleanInput } from "@/lib/api/input-guard";
import { bodyTimeoutMs, MAX_BODY_BYTES } from "@/lib/api/limits";
import { clientAddress } from "@/lib/api/client-address";
import { env } from "@/lib/env";

export { MAX_BODY_BYTES };

export type { Caller };

type Infer<T> = T extends z.ZodType ? z.infer<T> : undefined;

export type HandlerInput<P, Q, B> = { caller: Caller; params: Infer<P>; query: Infer<Q>; body: Infer<B>; req: NextRequest };

/** A response with a status other than 200 (or headers) from a handler. */
export function reply(data: unknown, status = 200, headers?: HeadersInit): NextResponse {
  return NextResponse.json(data, { status, headers });
}

/**
 * The one wrapper every v1 route goes through: body limit → authentication → permission/scope →
 * CSRF origin check for console writes → zod parsing → handler → one error shape.
 */
export function withApi<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  op: Operation<P, Q, B>,
  handler: (input: HandlerInput<P, Q, B>) => Promise<unknown>,
) {
  return async (req: NextRequest, ctx: { params: Promise<unknown> }): Promise<Response> => {
    try {
      const rawBody = op.body ? await readBody(req) : undefined;
      const caller = await authenticate(op, req);
      // NUL, lone surrogates and runaway nesting are refused here once, for every route, before zod.
      const rawParams = await ctx.params;
      assertCleanInput(rawParams, "params");
      const params = parse(op.params, rawParams);
      const rawQuery = Object.fromEntries(req.nextUrl.searchParams);
      assertCleanInput(rawQuery, "query");
      const query = parse(op.query, rawQuery);
      // The same parsing as the hot-path server's (lib/api/ep-request.ts).
      const body = op.body ? parseJsonBody(op.body, rawBody!) : undefined;
      const result = await handler({ caller, params, query, body, req } as HandlerInput<P, Q, B>);
      if (result instanceof Response) return result;
      return NextResponse.json(result, { status: op.responseStatus ?? 200 });
    } catch (err) {
      return toErrorResponse(err);
    }
  };
}

function parse(schema: z.ZodType | undefined, value: unknown): unknown {
  if (!schema) return undefined;
  const r = schema.safeParse(value);
  if (!r.success) throw fromZod(r.error);
  return r.data;
}

async function readBody(req: NextRequest): Promise<string> {
  checkBodyHeaders(req.headers.get("content-type"), req.headers.get("content-length"));
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  // A body trickled a byte at a time would hold a connection (and this handler) for as long as the
  // sender likes: the whole body must arrive before one deadline.
  const timeout = bodyTimeoutMs();
  const deadline = performance.now() + timeout;
  try {
    for (;;) {
      const { done, value } = await readBefore(reader, deadline, timeout);
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) throw new AppError("payload_too_large", `body is larger than ${MAX_BODY_BYTES} bytes`);
      chunks.push(value);
    }
  } catch (err) {
    reader.cancel().catch(() => {});
    throw err;
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function readBefore(reader: ReadableStreamDefaultReader<Uint8Array>, deadline: number, timeout: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppError("request_timeout", `the body did not arrive within ${timeout} ms`)), Math.max(0, deadline - performance.now()));
  });
  try {
    return await Promise.race([reader.read(), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function authenticate(op: Operation, req: NextRequest): Promise<Caller> {
  const authorization = req.headers.get("authorization");
  const wantsKey = op.auth === "enforcement-point" || (op.auth === "session-or-enforcement-point" && authorization !== null);
  // The same rules as the hot-path server's (lib/api/ep-request.ts): key, scope, per-key rate.
  if (wantsKey) return authenticateEnforcementPoint(authorization, op.scope, () => clientAddress(req.headers, env().LANYARD_TRUST_PROXY));
  if (authorization !== null) {
    // Keys open only the enforcement-point routes; a console route never falls back to a cookie here.
    throw new AppError("unauthenticated", "This route takes a console session, not an Authorization header");
  }
  const actor = await currentActor();
  if (!actor) throw new AppError("unauthenticated", "Sign in first");
  if (req.method !== "GET" && req.method !== "HEAD") checkOrigin(req, env().LANYARD_TRUST_PROXY);
  if (!op.permission || !can(actor, op.permission)) {
    throw new AppError("forbidden", `Your role (${actor.role}) does not allow ${op.permission ?? "this"}`);
  }
  return actor;
}
