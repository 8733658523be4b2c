import { z } from "zod";
import { ERROR_STATUS } from "@/lib/errors";
import type { Operation } from "@/lib/api/operation";
import { operations } from "@/lib/api/operations";

const ErrorBody = z.object({
  error: z.object({
    code: z.enum(Object.keys(ERROR_STATUS) as [string, ...string[]]),
    message: z.string(),
    issues: z.array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string() })).optional(),
  }),
});

const schema = (s: z.ZodType, io: "input" | "output") => z.toJSONSchema(s, { io, unrepresentable: "any" });

function parameters(op: Operation) {
  const out: unknown[] = [];
  for (const [where, s] of [["path", op.params], ["query", op.query]] as const) {
    if (!s) continue;
    const js = schema(s, "input") as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, sch] of Object.entries(js.properties ?? {})) {
      out.push({ name, in: where, required: where === "path" || (js.required ?? []).includes(name), schema: sch });
    }
  }
  return out;
}

/** The OpenAPI 3.1 document of the v1 API, generated from the operations the handlers validate with. */
export function openApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [id, op] of Object.entries(operations) as [string, Operation][]) {
    const security = op.auth === "enforcement-point" ? [{ enforcementPointKey: [] }] : op.auth === "session" ? [{ session: [] }] : [{ enforcementPointKey: [] }, { session: [] }];
    const responses: Record<string, unknown> = {
      [String(op.responseStatus ?? 200)]: { description: "OK", content: { "application/json": { schema: op.response ? schema(op.response, "output") : {} } } },
    };
    // Every route a key opens is rate-limited per key (429, Retry-After).
    for (const status of new Set([400, 401, 403, 500, ...(op.auth === "session" ? [] : [429]), ...(op.errors ?? [])])) {
      responses[String(status)] = { description: "Error", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
    }
    (paths[op.path] ??= {})[op.method.toLowerCase()] = {
      operationId: id,
      summary: op.summary,
      tags: [op.tag],
      security,
      "x-lanyard-permission": op.permission,
      "x-lanyard-scope": op.scope,
      parameters: parameters(op),
      ...(op.body ? { requestBody: { required: true, content: { "application/json": { schema: schema(op.body, "input") } } } } : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Lanyard API", version: "1", description: "Zero standing permissions for AI agents. Errors always have the shape of components.schemas.Error." },
    paths,
    components: {
      schemas: { Error: schema(ErrorBody, "output") },
      securitySchemes: {
        enforcementPointKey: { type: "http", scheme: "bearer", description: "lyd_ep_… key made in the console" },
        session: { type: "apiKey", in: "cookie", name: "next-auth.session-token", description: "console session (writes also need a same-origin Origin header)" },
      },
    },
  };
}
