import { z } from "zod";
import { CREDENTIAL_KINDS, Inject } from "@/lib/credentials/schemas";
import { IdOf, Text, ToolName } from "@/lib/schemas/common";

/** Lowercase, short: it prefixes upstream tool names when two connections offer the same one. */
export const ConnectionName = z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, "must be a lowercase name (letters, digits, - and _), at most 40 characters");
/** An MCP tool name as upstream servers publish it. */
export const UpstreamToolName = z.string().regex(/^[A-Za-z0-9_.\-/]{1,128}$/, "must be an MCP tool name (letters, digits, _ . - /), at most 128 characters");
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "must be an environment variable name");
const HeaderName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, "must be an HTTP header name");
// Values may be secrets: write-only (stored encrypted, never returned). Headers must be one line.
const SecretValue = Text(8192);
const HeaderValue = Text(8192).refine((v) => !/[\r\n]/.test(v), "must be one line");

export const StdioTransport = z.strictObject({
  type: z.literal("stdio"),
  command: Text(1000).min(1),
  args: z.array(Text(4000)).max(100).default([]),
  env: z.record(EnvName, SecretValue).refine((r) => Object.keys(r).length <= 100, "at most 100 variables").optional(),
});
export const HttpTransport = z.strictObject({
  type: z.literal("http"),
  url: z.url({ protocol: /^https?$/ }).max(2000),
  headers: z.record(HeaderName, HeaderValue).refine((r) => Object.keys(r).length <= 100, "at most 100 headers").optional(),
});
export const ConnectionTransport = z.discriminatedUnion("type", [StdioTransport, HttpTransport]);
export type ConnectionTransport = z.infer<typeof ConnectionTransport>;

export const ToolMapping = z.strictObject({
  upstream: UpstreamToolName.describe("the tool's name on the upstream server"),
  tool: ToolName.describe("the catalog tool a call of it is decided as"),
  resource: z
    .strictObject({
      type: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "must be a lowercase resource type"),
      argument: z.string().min(1).max(128).describe("the call argument whose value is the resource id"),
    })
    .optional()
    .describe("how the decision's resource is derived from the call's arguments; absent: no resource"),
});
export type ToolMapping = z.infer<typeof ToolMapping>;

const uniqueUpstream = (tools: { upstream: string }[]) => new Set(tools.map((t) => t.upstream)).size === tools.length;
const Tools = z.array(ToolMapping).max(500).refine(uniqueUpstream, "each upstream tool is mapped at most once");
const DecidedAs = z.strictObject({ tool: ToolName });
const EpIds = z.array(IdOf("ep")).max(100);

export const ConnectionCreate = z.strictObject({
  name: ConnectionName,
  transport: ConnectionTransport,
  tools: Tools.default([]),
  resources: DecidedAs.nullable().optional().describe("the catalog tool resources/read is decided as; absent: resources are refused"),
  prompts: DecidedAs.nullable().optional().describe("the catalog tool prompts/get is decided as; absent: prompts are refused"),
  enforcementPointIds: EpIds.default([]),
});
export type ConnectionCreate = z.infer<typeof ConnectionCreate>;

/** Every field optional; a transport given replaces the stored one with its env/header values. */
export const ConnectionPatch = z.strictObject({
  name: ConnectionName.optional(),
  transport: ConnectionTransport.optional(),
  tools: Tools.optional(),
  resources: DecidedAs.nullable().optional(),
  prompts: DecidedAs.nullable().optional(),
  enforcementPointIds: EpIds.optional(),
});
export type ConnectionPatch = z.infer<typeof ConnectionPatch>;

export const ConnectionParams = z.object({ id: IdOf("con") });

// What anyone reads back: env and header NAMES only, never their values.
export const ConnectionTransportView = z.discriminatedUnion("type", [
  z.object({ type: z.literal("stdio"), command: z.string(), args: z.array(z.string()), envNames: z.array(z.string()) }),
  z.object({ type: z.literal("http"), url: z.string(), headerNames: z.array(z.string()) }),
]);
export const ConnectionView = z.object({
  id: z.string(),
  name: z.string(),
  transport: ConnectionTransportView,
  tools: z.array(ToolMapping),
  resources: DecidedAs.nullable(),
  prompts: DecidedAs.nullable(),
  enforcementPointIds: z.array(z.string()),
  credentials: z
    .array(z.object({ name: z.string(), kind: z.enum(CREDENTIAL_KINDS), inject: Inject, tools: z.array(z.string()) }))
    .describe("the live credentials of the vault serving this connection: where each goes and which tools it serves, never a value"),
  version: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ConnectionView = z.infer<typeof ConnectionView>;

export const ConnectionTestRequest = z.strictObject({
  timeoutMs: z.number().int().min(1000).max(30_000).optional().describe("how long to wait for the upstream (default 10 s)"),
});
/** What a test of a connection found: the upstream's tools and which the mapping covers; a failure as text. */
export const ConnectionTestResult = z.object({
  ok: z.boolean(),
  durationMs: z.number(),
  server: z.object({ name: z.string(), version: z.string() }).nullable(),
  tools: z.array(z.object({ name: z.string(), title: z.string().nullable(), description: z.string().nullable(), mappedTo: z.string().nullable().describe("the catalog tool it is decided as; null: unmapped, so invisible through the gateway") })),
  missing: z.array(z.string()).describe("mapped upstream tools the server does not offer"),
  error: z.string().nullable().describe("why it failed, with every stored env/header value redacted"),
});
export type ConnectionTestResult = z.infer<typeof ConnectionTestResult>;
