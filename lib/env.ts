import { z } from "zod";
import { parseKek } from "@/lib/tokens/key-wrap";

function validKek(v: string): boolean {
  try {
    parseKek(v);
    return true;
  } catch {
    return false;
  }
}

/** LANYARD_WEBHOOK_ALLOWED_HOSTS: comma-separated host names (or IP literals), normalised as WHATWG URL does. */
function allowedHosts(v: string, ctx: z.RefinementCtx): string[] {
  const hosts: string[] = [];
  for (const entry of v.split(",").map((h) => h.trim()).filter(Boolean)) {
    let host: string | undefined;
    try {
      if (/^([A-Za-z0-9_-]+\.)*[A-Za-z0-9_-]+\.?$|^\[[0-9A-Fa-f:.]+\]$/.test(entry)) host = new URL(`http://${entry}/`).hostname;
    } catch {}
    if (host) hosts.push(host);
    else ctx.addIssue({ code: "custom", message: `LANYARD_WEBHOOK_ALLOWED_HOSTS: "${entry}" is not a host name (no scheme, port or path; IPv6 in brackets)` });
  }
  return hosts;
}

const Env = z.object({
  DATABASE_URL: z.string().min(1, "DATABASE_URL is required (npm start sets it for the embedded database)"),
  NEXTAUTH_SECRET: z.string().min(32, "NEXTAUTH_SECRET must be at least 32 characters"),
  NEXTAUTH_URL: z.url().optional(),
  /** Only while rotating the key-encryption key: the previous one (keys under it are re-encrypted at start). */
  LANYARD_OLD_KEY_ENCRYPTION_KEY: z.string().refine(validKek, "LANYARD_OLD_KEY_ENCRYPTION_KEY must be 32 bytes, base64").optional(),
  /** Encrypts the token-signing keys' private halves in the database (AES-256-GCM): 32 bytes, base64. */
  LANYARD_KEY_ENCRYPTION_KEY: z
    .string({ error: "LANYARD_KEY_ENCRYPTION_KEY is required: 32 random bytes, base64 (npm start generates one into the data folder)" })
    .refine(validKek, "LANYARD_KEY_ENCRYPTION_KEY must be 32 bytes, base64 (e.g. openssl rand -base64 32)"),
  /** Internal hosts webhooks may reach anyway (e.g. a chat relay on the private network); all others are refused. */
  LANYARD_WEBHOOK_ALLOWED_HOSTS: z.string().default("").transform(allowedHosts),
  /** 1 lets "Test it" on a stdio connection run its command on this server (admin-only, audited); by default only HTTP upstreams are tested from here. */
  LANYARD_CONNECTION_TEST_STDIO: z.enum(["0", "1"], { error: "LANYARD_CONNECTION_TEST_STDIO must be 0 or 1" }).default("0").transform((v) => v === "1"),
  /** Connections for requests: the decision hot path's pool and the console's (Prisma) pool have this many each. */
  LANYARD_DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  /** Connections for background jobs (sealer, expiry, webhooks, receipts): their own pool, so requests and jobs cannot starve each other. */
  LANYARD_JOBS_POOL_SIZE: z.coerce.number().int().min(1).max(50).default(3),
  /** How long a request waits for a pooled connection (or a new one) before answering 503. */
  LANYARD_DB_POOL_WAIT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** How long after an allow its enforcement point may fetch the call's credentials (POST /api/v1/credentials/release). */
  LANYARD_CREDENTIAL_RELEASE_WINDOW_S: z.coerce.number().int().min(1).max(600).default(30),
  LANYARD_MAX_LEASE_SECONDS: z.coerce.number().int().min(60).default(8 * 3600),
  LANYARD_MAX_TOOL_CALLS: z.coerce.number().int().min(1).default(10_000),
  /** Days between access review reminders to each agent owner (issue 17); monthly by default. */
  LANYARD_REVIEW_REMINDER_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /** API requests per second per enforcement-point key, per instance (bursts of twice that); then 429. */
  LANYARD_EP_RATE_LIMIT: z.coerce.number().int().min(1).default(1_000),
  /** Password sign-in attempts per second per instance, from anyone (bursts of twice that); then refused before any work. */
  LANYARD_SIGN_IN_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  /** How long an API request body may take to arrive, in ms; a body trickled slower is cut off (408). */
  LANYARD_BODY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** 1 when a reverse proxy in front sets X-Forwarded-For/-Host: only then are those headers believed. */
  LANYARD_TRUST_PROXY: z.enum(["0", "1"], { error: "LANYARD_TRUST_PROXY must be 0 or 1" }).default("0").transform((v) => v === "1"),
  /** An outside witness for signed audit checkpoints: each one is POSTed here (application/jose), best-effort. */
  LANYARD_CHECKPOINT_WITNESS_URL: z.url({ protocol: /^https?$/, error: "LANYARD_CHECKPOINT_WITNESS_URL must be an http(s) URL" }).optional(),
  /** An append-only file (one checkpoint JWS a line), ideally on storage the database's owner cannot rewrite. */
  LANYARD_CHECKPOINT_WITNESS_FILE: z.string().refine((p) => p.startsWith("/"), "LANYARD_CHECKPOINT_WITNESS_FILE must be an absolute path").optional(),
  /** SMTP server for approver notifications (smtp://user:pass@host:587 or smtps://…); without it no mail is sent. */
  LANYARD_SMTP_URL: z.url({ protocol: /^smtps?$/, error: "LANYARD_SMTP_URL must be an smtp:// or smtps:// URL" }).optional(),
  /** The From address of notification mails. */
  LANYARD_MAIL_FROM: z.string().min(3).default("Lanyard <lanyard@localhost>"),
  /** The console's public address, for links in mails (defaults to NEXTAUTH_URL). */
  LANYARD_PUBLIC_URL: z.url({ protocol: /^https?$/, error: "LANYARD_PUBLIC_URL must be an http(s) URL" }).optional(),
  OIDC_ISSUER: z.url().optional(),
  OIDC_CLIENT_ID: z.string().optional(),
  OIDC_CLIENT_SECRET: z.string().optional(),
  OIDC_NAME: z.string().default("SSO"),
  /** The ID token / userinfo claim listing a person's groups (an array of names); kept in step at each SSO sign-in. */
  OIDC_GROUPS_CLAIM: z.string().regex(/^[A-Za-z0-9_:./-]{1,200}$/, "OIDC_GROUPS_CLAIM must be a claim name").default("groups"),
});
export type Env = z.infer<typeof Env>;

let cached: Env | undefined;

/** The validated environment; throws once, at first use, with every problem named. */
export function env(): Env {
  if (cached) return cached;
  const parsed = Env.safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid environment: ${problems}`);
  }
  cached = parsed.data;
  return cached;
}
