/**
 * The rules of an enforcement-point request, whoever serves it: withApi (under Next's router) and the
 * hot-path server (server/) call these same functions, so a route answers alike on both.
 */
import type { z } from "zod";
import { AppError, fromZod } from "@/lib/errors";
import { assertCleanInput } from "@/lib/api/input-guard";
import { MAX_BODY_BYTES } from "@/lib/api/limits";
import { enforcementPointLimiter, unknownKeyLimiter } from "@/lib/api/rate-limit";
import { TokenBuckets } from "@/lib/token-buckets";
import { authenticateKey, type EnforcementPointActor } from "@/lib/auth/enforcement-point";
import type { EpScope } from "@/lib/auth/scopes";

/** Before reading a body: it must be JSON (415) and not declared larger than the limit (413). */
export function checkBodyHeaders(contentType: string | null | undefined, contentLength: string | null | undefined): void {
  if (!/^application\/json\b/i.test(contentType ?? "")) throw new AppError("unsupported_media_type", "content-type must be application/json");
  if (Number(contentLength ?? "0") > MAX_BODY_BYTES) throw tooLarge();
}

export const tooLarge = () => new AppError("payload_too_large", `body is larger than ${MAX_BODY_BYTES} bytes`);

/** Input that the schemas cannot describe is refused first (NUL, lone surrogates, deep nesting), then zod. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: "body" | "query" | "params"): z.infer<S> {
  assertCleanInput(value, where);
  const r = schema.safeParse(value);
  if (!r.success) throw fromZod(r.error);
  return r.data;
}

/** A JSON body (no body at all is an empty object: the schema then says which fields are missing). */
export function parseJsonBody<S extends z.ZodType>(schema: S, raw: string): z.infer<S> {
  let json: unknown;
  try {
    json = raw.trim() === "" ? {} : JSON.parse(raw);
  } catch {
    throw new AppError("invalid_request", "body: not valid JSON");
  }
  return parseInput(schema, json, "body");
}

// Keys configured with a rate of their own: one set of buckets per distinct rate.
const ownLimiters = new Map<number, TokenBuckets>();
function limiterFor(ep: EnforcementPointActor): TokenBuckets {
  const rate = ep.rateLimitPerSecond;
  if (!rate) return enforcementPointLimiter();
  let l = ownLimiters.get(rate);
  if (!l) ownLimiters.set(rate, (l = new TokenBuckets(rate, rate * 2)));
  return l;
}

/**
 * A Bearer enforcement-point key → the enforcement point (401 otherwise), holding `scope` (403
 * otherwise), within its rate (429 with Retry-After otherwise: the key's own rate when it has one,
 * else LANYARD_EP_RATE_LIMIT). `address` names the client for the limit on unknown keys; it is asked
 * only when a key has to be looked up.
 */
export async function authenticateEnforcementPoint(authorization: string | null | undefined, scope: EpScope | undefined, address: () => string): Promise<EnforcementPointActor> {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
  // Guessing keys costs a database lookup each: an address that keeps sending unknown keys is
  // refused before the lookup (a key this instance has seen recently still opens without one).
  const ep = match
    ? await authenticateKey(match[1]!, {
        beforeLookup: () => {
          const gate = unknownKeyLimiter().peek(address());
          if (!gate.ok) throw new AppError("rate_limited", `Too many unknown keys from this address; retry in ${gate.retryAfterSeconds} s`, undefined, gate.retryAfterSeconds);
        },
        onUnknown: () => void unknownKeyLimiter().take(address()),
      })
    : null;
  if (!ep) throw new AppError("unauthenticated", "A valid enforcement-point key is required (Authorization: Bearer lyd_ep_…)");
  if (!scope || !ep.scopes.includes(scope)) throw new AppError("forbidden", `This key lacks the ${scope ?? "required"} scope`);
  const take = limiterFor(ep).take(ep.id);
  if (!take.ok) throw new AppError("rate_limited", `Too many requests from this enforcement point; retry in ${take.retryAfterSeconds} s, and fail closed meanwhile`, undefined, take.retryAfterSeconds);
  return ep;
}
