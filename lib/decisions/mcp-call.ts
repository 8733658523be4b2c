import { z } from "zod";

/**
 * What a decision says about the MCP call behind it, for people reading it (approvals, run timelines,
 * the audit explorer, explain): the gateway's session, the connection and upstream tool or method, and
 * the arguments as sent (or only their digest). Read leniently from stored JSON — an enforcement point
 * may send any context, and older decisions carry none — so anything malformed is simply left out.
 */
export type McpCall = {
  session: string | null;
  connection: string | null;
  upstreamTool: string | null;
  method: string | null;
  arguments: Record<string, unknown> | null;
  argumentsDigest: string | null;
};

const Str = z.string().max(500).nullish().catch(null);
const McpContext = z.object({ session: Str, connection: Str, upstreamTool: Str, method: Str, argumentsDigest: Str }).catch({});
const Args = z.record(z.string(), z.unknown()).nullish().catch(null);

/** From a decision's context (`context.mcp`) and its own arguments/digest (row or audit payload). Null when there is nothing to say. */
export function mcpCallOf(context: unknown, extra: { arguments?: unknown; argumentsDigest?: unknown } = {}): McpCall | null {
  const raw = context && typeof context === "object" && !Array.isArray(context) ? (context as { mcp?: unknown }).mcp : undefined;
  const mcp = raw && typeof raw === "object" && !Array.isArray(raw) ? McpContext.parse(raw) : {};
  const digest = Str.parse(extra.argumentsDigest) ?? mcp.argumentsDigest ?? null;
  const call: McpCall = {
    session: mcp.session ?? null,
    connection: mcp.connection ?? null,
    upstreamTool: mcp.upstreamTool ?? null,
    method: mcp.method ?? null,
    arguments: Args.parse(extra.arguments) ?? null,
    argumentsDigest: digest,
  };
  return Object.values(call).some((v) => v !== null) ? call : null;
}
