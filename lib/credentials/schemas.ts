import { z } from "zod";
import { IdOf, Text, ToolName } from "@/lib/schemas/common";

export const CREDENTIAL_KINDS = ["static", "obo", "postgres-dynamic"] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

export const CredentialName = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, "must be a name of letters, digits, _ . - (at most 64, starting with a letter)");
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "must be an environment variable name");
const HeaderName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, "must be an HTTP header name");
export const Inject = z.union([z.strictObject({ header: HeaderName }), z.strictObject({ env: EnvName })]).describe("where the enforcement point puts the value: an HTTP header of the upstream request, or an environment variable of the upstream process");
export type Inject = z.infer<typeof Inject>;

// Write-only material: stored encrypted, never returned. A header value must be one line.
const SecretValue = Text(8192).min(1).refine((v) => !/[\r\n]/.test(v), "must be one line");
const PgIdentifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, "must be a PostgreSQL identifier (letters, digits, _)");
const AdminUrl = Text(2000)
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "postgres:" || u.protocol === "postgresql:") && !!u.hostname;
    } catch {
      return false;
    }
  }, "must be a postgres:// or postgresql:// URL")
  .describe("a connection URL of a role that may create roles (CREATEROLE) and grant the group role: secret, write-only");
// An OBO token must never pass for a lease token, whose audience is "lanyard".
const Audience = z.string().min(1).max(500).refine((a) => a !== "lanyard", "must not be lanyard (the lease tokens' audience)").describe("the upstream's identifier: the token's aud");
const Tools = z.array(ToolName).min(1).max(200).describe("the catalog tools it may serve (tools the connection maps)");

const base = { name: CredentialName, inject: Inject, tools: Tools };
export const StaticCreate = z.strictObject({ ...base, kind: z.literal("static"), value: SecretValue.describe("the secret: write-only") });
export const OboCreate = z.strictObject({ ...base, kind: z.literal("obo"), audience: Audience, ttlSeconds: z.number().int().min(10).max(300).default(300).describe("at most 5 minutes; never past the lease's expiry") });
export const PostgresDynamicCreate = z.strictObject({
  ...base,
  kind: z.literal("postgres-dynamic"),
  inject: z.strictObject({ env: EnvName }).describe("the environment variable that receives the login's connection URL"),
  adminUrl: AdminUrl,
  groupRole: PgIdentifier.describe("the role each login is made a member of"),
  database: PgIdentifier.describe("the database the login's connection URL names"),
});
export const CredentialCreate = z.discriminatedUnion("kind", [StaticCreate, OboCreate, PostgresDynamicCreate]);
export type CredentialCreate = z.infer<typeof CredentialCreate>;

/** New material: `value` for a static credential, `adminUrl` for a postgres-dynamic one. Takes effect at the next release. */
export const CredentialRotate = z.union([z.strictObject({ value: SecretValue }), z.strictObject({ adminUrl: AdminUrl })]);
export type CredentialRotate = z.infer<typeof CredentialRotate>;

export const ConnectionCredentialsParams = z.object({ id: IdOf("con") });
export const CredentialParams = z.object({ id: IdOf("con"), cid: IdOf("crd") });

/** What anyone reads back: never the value. */
export const CredentialView = z.object({
  id: z.string(),
  connectionId: z.string(),
  name: z.string(),
  kind: z.enum(CREDENTIAL_KINDS),
  inject: Inject,
  tools: z.array(z.string()),
  config: z.record(z.string(), z.unknown()).describe("what is not secret: obo { audience, ttlSeconds }, postgres-dynamic { groupRole, database }"),
  version: z.number(),
  createdAt: z.string(),
  rotatedAt: z.string().nullable(),
  retiredAt: z.string().nullable(),
});
export type CredentialView = z.infer<typeof CredentialView>;

export const ReleaseRequest = z.union([
  z.strictObject({
    decisionId: IdOf("dec").describe("an allow this key received, within LANYARD_CREDENTIAL_RELEASE_WINDOW_S (30 s) of it; released once"),
    connectionId: IdOf("con").optional().describe("only this connection's credentials"),
  }),
  z.strictObject({
    leaseToken: z.string().max(8192).describe("session start: the lease token of the session"),
    connectionId: IdOf("con").describe("the stdio upstream about to be spawned"),
  }),
]);
export type ReleaseRequest = z.infer<typeof ReleaseRequest>;

export const ReleasedCredential = z.object({
  name: z.string(),
  connectionId: z.string(),
  kind: z.enum(CREDENTIAL_KINDS),
  inject: Inject,
  value: z.string().describe("the secret, for the enforcement point to inject; never shown to the agent"),
  expiresAt: z.string().nullable().describe("when the value stops working (obo: the token's exp; postgres-dynamic: the lease's expiry); null: a static secret"),
});
export const ReleaseResponse = z.object({ credentials: z.array(ReleasedCredential) });
export type ReleaseResponse = z.infer<typeof ReleaseResponse>;
