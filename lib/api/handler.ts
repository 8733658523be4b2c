import { NextResponse, type NextRequest } from "next/server";
import type { z } from "zod";
import { AppError, fromZod, toErrorResponse } from "@/lib/api/errors";
import type { Operation } from "@/lib/api/operation";
import { authenticateKey, type EnforcementPointActor } from "@/lib/auth/enforcement-point";
import { can, type Actor } from "@/lib/auth/permissions";
import { currentActor } from "@/lib/auth/session";
import { checkOrigin } from "@/lib/api/origin";
import { enforcementPointLimiter } from "@/lib/api/rate-limit";

export const MAX_BODY_BYTES = 64 * 1024;

export type Caller = Actor | EnforcementPointActor;

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
      const params = parse(op.params, await ctx.params);
      const query = parse(op.query, Object.fromEntries(req.nextUrl.searchParams));
      let body: unknown;
      if (op.body) {
        let json: unknown;
        try {
          // No body at all is an empty object: the schema then says which fields are missing, if any.
          json = rawBody!.trim() === "" ? {} : JSON.parse(rawBody!);
        } catch {
          throw new AppError("invalid_request", "body: not valid JSON");
        }
        body = parse(op.body, json);
      }
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
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) throw new AppError("unsupported_media_type", "content-type must be application/json");
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw new AppError("payload_too_large", `body is larger than ${MAX_BODY_BYTES} bytes`);
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw new AppError("payload_too_large", `body is larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function authenticate(op: Operation, req: NextRequest): Promise<Caller> {
  const authorization = req.headers.get("authorization");
  const wantsKey = op.auth === "enforcement-point" || (op.auth === "session-or-enforcement-point" && authorization !== null);
  if (wantsKey) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
    const ep = match ? await authenticateKey(match[1]!) : null;
    if (!ep) throw new AppError("unauthenticated", "A valid enforcement-point key is required (Authorization: Bearer lyd_ep_…)");
    if (!op.scope || !ep.scopes.includes(op.scope)) {
      throw new AppError("forbidden", `This key lacks the ${op.scope ?? "required"} scope`);
    }
    const take = enforcementPointLimiter().take(ep.id);
    if (!take.ok) throw new AppError("rate_limited", `Too many requests from this enforcement point; retry in ${take.retryAfterSeconds} s, and fail closed meanwhile`, undefined, take.retryAfterSeconds);
    return ep;
  }
  if (authorization !== null) {
    // Keys open only the enforcement-point routes; a console route never falls back to a cookie here.
    throw new AppError("unauthenticated", "This route takes a console session, not an Authorization header");
  }
  const actor = await currentActor();
  if (!actor) throw new AppError("unauthenticated", "Sign in first");
  if (req.method !== "GET" && req.method !== "HEAD") checkOrigin(req);
  if (!op.permission || !can(actor, op.permission)) {
    throw new AppError("forbidden", `Your role (${actor.role}) does not allow ${op.permission ?? "this"}`);
  }
  return actor;
}
