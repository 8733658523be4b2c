import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { env } from "@/lib/env";
import { AppError, notFound } from "@/lib/errors";
import { appendAudit } from "@/lib/audit/append";
import type { Actor } from "@/lib/auth/permissions";
import type { Db } from "@/lib/db";
import type { ConnectionTestResult, ToolMapping } from "@/lib/connections/schemas";
import { unwrapConnectionSecrets, type ConnectionSecrets } from "@/lib/connections/secrets";

export const TEST_TIMEOUT_MS = 10_000;
const MAX_TOOLS = 500;
// Each test may spawn a process on this server: a few at a time, not a click storm.
const MAX_CONCURRENT = 2;
let running = 0;

/** Every env/header value replaced, so an upstream that echoes its configuration leaks nothing. */
export function scrub(text: string, secrets: ConnectionSecrets): string {
  const values = [...Object.values(secrets.env ?? {}), ...Object.values(secrets.headers ?? {})].filter((v) => v.length >= 3).sort((a, b) => b.length - a.length);
  let out = text;
  for (const v of values) out = out.split(v).join("[redacted]");
  return out.length > 1000 ? `${out.slice(0, 1000)}…` : out;
}

function describeError(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string }; code?: string };
  const cause = e?.cause?.code ?? e?.cause?.message;
  const base = e?.message || String(err);
  return cause && !base.includes(cause) ? `${base} (${cause})` : base;
}

/**
 * Connects to a connection's upstream as the gateway would (stdio: spawns its command with its stored
 * env; http: its URL with its stored headers), lists its tools and says which the mapping covers.
 * Admin-only and audited: it runs the configured command on this server. Never throws for an upstream
 * that fails: the failure is the answer, as text, with every stored value scrubbed.
 */
export async function testConnection(db: Db, actor: Actor, id: string, timeoutMs = TEST_TIMEOUT_MS, allowStdio = env().LANYARD_CONNECTION_TEST_STDIO): Promise<ConnectionTestResult> {
  const row = await db.connection.findUnique({ where: { id } });
  if (!row) throw notFound(`connection ${id}`);
  if (running >= MAX_CONCURRENT) throw new AppError("rate_limited", "Other connection tests are running; try again in a moment", undefined, 2);
  running++;
  const started = performance.now();
  let secrets: ConnectionSecrets = {};
  let stderr = "";
  const client = new Client({ name: "lanyard-connection-test", version: "0.1.0" });
  let result: ConnectionTestResult;
  let timer: NodeJS.Timeout | undefined;
  try {
    if (row.secrets) secrets = unwrapConnectionSecrets(row.secrets, id);
    const t = row.transport as { command?: string; args?: string[]; url?: string };
    let transport: Transport;
    if (row.transportType === "stdio") {
      // Running an admin-given command on the control plane itself is off unless the operator says so:
      // the gateway runs it where the gateway is deployed, which need not be here.
      if (!allowStdio) {
        throw new Error("testing a stdio upstream here would run its command on the Lanyard server, which is off (LANYARD_CONNECTION_TEST_STDIO=1 allows it); the gateway runs it where the gateway is deployed");
      }
      const stdio = new StdioClientTransport({ command: t.command ?? "", args: t.args ?? [], env: { ...getDefaultEnvironment(), ...(secrets.env ?? {}) }, stderr: "pipe" });
      stdio.stderr?.on("data", (b: Buffer) => {
        stderr = (stderr + b.toString("utf8")).slice(-2000);
      });
      transport = stdio;
    } else {
      transport = new StreamableHTTPClientTransport(new URL(t.url ?? ""), { requestInit: { headers: secrets.headers ?? {} } });
    }
    const abort = new AbortController();
    const deadline = abort.signal;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new Error(`no answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
    });
    const listed = await Promise.race([
      (async () => {
        await client.connect(transport, { signal: deadline, timeout: timeoutMs });
        const tools: { name: string; title?: string; description?: string }[] = [];
        let cursor: string | undefined;
        do {
          const page = await client.listTools(cursor ? { cursor } : undefined, { signal: deadline, timeout: timeoutMs });
          tools.push(...page.tools);
          cursor = page.nextCursor;
        } while (cursor && tools.length < MAX_TOOLS);
        return tools.slice(0, MAX_TOOLS);
      })(),
      timedOut,
    ]);
    const mapping = new Map((row.tools as ToolMapping[]).map((m) => [m.upstream, m.tool]));
    const offered = new Set(listed.map((t) => t.name));
    const server = client.getServerVersion();
    result = {
      ok: true,
      durationMs: Math.round(performance.now() - started),
      server: server ? { name: scrub(server.name, secrets), version: scrub(server.version, secrets) } : null,
      tools: listed.map((t) => ({ name: t.name, title: t.title ? scrub(t.title, secrets) : null, description: t.description ? scrub(t.description, secrets) : null, mappedTo: mapping.get(t.name) ?? null })),
      missing: [...mapping.keys()].filter((u) => !offered.has(u)),
      error: null,
    };
  } catch (err) {
    const tail = stderr.trim() ? ` — its stderr: ${stderr.trim().split("\n").slice(-5).join(" | ")}` : "";
    result = { ok: false, durationMs: Math.round(performance.now() - started), server: null, tools: [], missing: [], error: scrub(`${describeError(err)}${tail}`, secrets) };
  } finally {
    clearTimeout(timer);
    await client.close().catch(() => {});
    running--;
  }
  // What was run and whether it answered; never its error text (an upstream may say anything).
  await db.$transaction((tx) =>
    appendAudit(tx, {
      action: "connection.tested",
      actor: { type: "user", id: actor.id, label: actor.email },
      subject: { type: "connection", id },
      payload: { name: row.name, ok: result.ok, tools: result.tools.length, durationMs: result.durationMs },
    }),
  );
  return result;
}
