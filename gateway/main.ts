/**
 * The Lanyard MCP gateway: `npm run gateway -- --port <p>` (Streamable HTTP at /mcp) or
 * `npm run gateway -- --stdio` (one agent, its lease token in LANYARD_LEASE_TOKEN). LANYARD_URL and
 * LANYARD_GATEWAY_KEY (an enforcement-point key with decisions:write, escalations:write and
 * connections:read; credentials:use when its connections have vault credentials) say which Lanyard to
 * ask. Upstreams get credentials from the vault only (gateway/vault.ts), never from this environment. Optional: LANYARD_ENVIRONMENT (sent as the decisions'
 * context.environment), LANYARD_GATEWAY_HOST (default 127.0.0.1), LANYARD_GATEWAY_TIMEOUT_MS (the bound
 * on each question to Lanyard, default 5000; past it calls are refused), LANYARD_GATEWAY_ALLOWED_HOSTS
 * (comma-separated names the HTTP front may be reached as besides localhost, 127.0.0.1 and [::1]; any
 * other Host or Origin is refused, against DNS rebinding), LANYARD_GATEWAY_SEND_ARGUMENTS=0 (decisions
 * carry only the digest of each call's arguments, not the values shown to approvers).
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { Gateway, refusal } from "./gateway";
import { createGatewayHttpServer, LOOPBACK_HOSTS } from "./http";
import { createLanyardClient } from "./sdk";

function fail(message: string): never {
  process.stderr.write(`lanyard gateway: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv: string[]): { port?: number; stdio: boolean } {
  const out: { port?: number; stdio: boolean } = { stdio: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--stdio") out.stdio = true;
    else if (a === "--port" || a.startsWith("--port=")) {
      const v = a.includes("=") ? a.slice(7) : argv[++i];
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`--port needs a port number, not ${v}`);
      out.port = n;
    } else fail(`unknown argument ${a} (use --port <p> or --stdio)`);
  }
  if (out.stdio === (out.port !== undefined)) fail("say either --port <p> or --stdio");
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const url = process.env.LANYARD_URL;
  const key = process.env.LANYARD_GATEWAY_KEY;
  if (!url) fail("LANYARD_URL is not set (e.g. http://127.0.0.1:3000)");
  if (!key) fail("LANYARD_GATEWAY_KEY is not set (an enforcement-point key, lyd_ep_…)");
  const timeoutMs = process.env.LANYARD_GATEWAY_TIMEOUT_MS ? Number(process.env.LANYARD_GATEWAY_TIMEOUT_MS) : undefined;
  const gateway = new Gateway({ lanyard: createLanyardClient({ url, key, timeoutMs }), environment: process.env.LANYARD_ENVIRONMENT || undefined, sendArguments: process.env.LANYARD_GATEWAY_SEND_ARGUMENTS !== "0" });
  try {
    await gateway.start();
  } catch (err) {
    fail(`could not read this key's connections from ${url}: ${(err as Error).message}`);
  }

  if (args.stdio) {
    const token = process.env.LANYARD_LEASE_TOKEN;
    if (!token) fail("LANYARD_LEASE_TOKEN is not set: the agent's lease token");
    const lease = await gateway.introspect(token).catch((err: Error) => fail(`could not check the lease token: ${err.message}`));
    if (!lease.active) fail(refusal(lease));
    const server = gateway.createSession(token, () => "stdio");
    const transport = new StdioServerTransport();
    transport.onclose = () => void gateway.close().then(() => process.exit(0));
    await server.connect(transport);
    return;
  }

  const extraHosts = (process.env.LANYARD_GATEWAY_ALLOWED_HOSTS ?? "").split(",").map((h) => h.trim()).filter(Boolean);
  const http = createGatewayHttpServer(gateway, { allowedHosts: [...LOOPBACK_HOSTS, ...extraHosts] });
  const host = process.env.LANYARD_GATEWAY_HOST ?? "127.0.0.1";
  http.listen(args.port, host, () => {
    const a = http.address();
    process.stderr.write(`lanyard gateway: MCP at http://${host}:${typeof a === "object" && a ? a.port : args.port}/mcp\n`);
  });
  const stop = () => {
    http.close();
    void gateway.close().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

// An upstream's failure must never take the gateway down: log and go on.
process.on("unhandledRejection", (err) => process.stderr.write(`lanyard gateway: ${(err as Error)?.message ?? err}\n`));
void main();
