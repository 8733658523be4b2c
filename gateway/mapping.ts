import path from "node:path";
import type { Connection, Introspection, ResourceRef } from "./sdk";

/** An upstream tool as its server lists it. */
export type UpstreamTool = { name: string; description?: string; inputSchema: { type: "object"; [k: string]: unknown }; title?: string; annotations?: Record<string, unknown> };

/** A tool the gateway offers: which upstream serves it and which catalog tool it is decided as. */
export type ExposedTool = {
  name: string;
  connectionId: string;
  connectionName: string;
  upstream: string;
  tool: string;
  resource?: { type: string; argument: string };
  definition: UpstreamTool;
};

/**
 * The gateway's tool table. Only mapped upstream tools appear (an unmapped one is invisible and
 * uncallable: fail closed); a name offered by more than one connection is prefixed with each
 * connection's name (`<connection>.<tool>`), never silently shadowed.
 */
export function exposeTools(upstreams: { connection: Connection; tools: UpstreamTool[] }[]): Map<string, ExposedTool> {
  const candidates: ExposedTool[] = [];
  for (const { connection, tools } of upstreams) {
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const m of connection.tools) {
      const def = byName.get(m.upstream);
      if (!def) continue;
      candidates.push({ name: m.upstream, connectionId: connection.id, connectionName: connection.name, upstream: m.upstream, tool: m.tool, resource: m.resource, definition: def });
    }
  }
  const counts = new Map<string, number>();
  for (const c of candidates) counts.set(c.name, (counts.get(c.name) ?? 0) + 1);
  const out = new Map<string, ExposedTool>();
  for (const c of candidates) {
    const name = counts.get(c.name)! > 1 ? `${c.connectionName}.${c.name}` : c.name;
    out.set(name, { ...c, name });
  }
  return out;
}

/** Which exposed tools the lease can use now (granted, not denied, live), by the introspection. */
export function usableTools(tools: Map<string, ExposedTool>, lease: Introspection): ExposedTool[] {
  if (!lease.active) return [];
  const granted = new Set(lease.tools.map((t) => t.tool));
  return [...tools.values()].filter((t) => granted.has(t.tool));
}

/** MCP annotations from the catalog entry: read-only tools say so; others may be destructive. */
export function annotationsFor(t: ExposedTool, lease: Introspection) {
  const g = lease.tools.find((x) => x.tool === t.tool);
  if (!g) return undefined;
  return { ...(t.definition.annotations ?? {}), readOnlyHint: g.readOnly, destructiveHint: !g.readOnly, "lanyard/risk": g.risk, "lanyard/stepUp": g.stepUp };
}

export type Derived = { ok: true; resource?: ResourceRef; args: Record<string, unknown> } | { ok: false; message: string };

/**
 * The decision's resource from the call's arguments. A `path` is normalized first and the normalized
 * path is what the upstream receives, so `/granted/../etc/passwd` is decided (and opened) as
 * `/etc/passwd`; a relative path has no meaning the gateway can check, and is refused.
 */
export function deriveResource(t: ExposedTool, args: Record<string, unknown>): Derived {
  if (!t.resource) return { ok: true, args };
  const raw = args[t.resource.argument];
  if (typeof raw !== "string" || raw === "") return { ok: false, message: `argument ${t.resource.argument} (the ${t.resource.type} this call is decided on) must be a non-empty string` };
  if (raw.includes("\0")) return { ok: false, message: `argument ${t.resource.argument} contains NUL` };
  if (raw.length > 300) return { ok: false, message: `argument ${t.resource.argument} is longer than 300 characters` };
  if (t.resource.type !== "path") return { ok: true, resource: { type: t.resource.type, id: raw }, args };
  if (!path.posix.isAbsolute(raw)) return { ok: false, message: `argument ${t.resource.argument} must be an absolute path` };
  const id = path.posix.normalize(raw).replace(/(.)\/+$/, "$1");
  if (id.length > 300) return { ok: false, message: `argument ${t.resource.argument} is longer than 300 characters` };
  return { ok: true, resource: { type: "path", id }, args: { ...args, [t.resource.argument]: id } };
}
