import { describe, expect, it } from "vitest";
import { deriveResource, exposeTools, usableTools, type UpstreamTool } from "./mapping";
import type { Connection, Introspection } from "./sdk";

const tool = (name: string): UpstreamTool => ({ name, inputSchema: { type: "object" } });
const conn = (name: string, tools: Connection["tools"]): Connection => ({ id: `con_${name}`, name, transport: { type: "http", url: "http://x/mcp", headerNames: [] }, tools, resources: null, prompts: null, version: 1 });

describe("gateway tool mapping", () => {
  it("offers only mapped tools, prefixes names two connections share, and keeps the rest as they are", () => {
    const table = exposeTools([
      { connection: conn("fs", [{ upstream: "read_file", tool: "repo.read" }, { upstream: "search", tool: "repo.read" }]), tools: [tool("read_file"), tool("search"), tool("delete_everything")] },
      { connection: conn("docs", [{ upstream: "search", tool: "docs.read" }, { upstream: "missing_upstream", tool: "docs.read" }]), tools: [tool("search")] },
    ]);
    expect([...table.keys()].sort()).toEqual(["docs.search", "fs.search", "read_file"]);
    expect(table.get("docs.search")).toMatchObject({ upstream: "search", tool: "docs.read", connectionId: "con_docs" });
  });

  it("lists nothing for a dead lease and only granted catalog tools for a live one", () => {
    const table = exposeTools([{ connection: conn("fs", [{ upstream: "a", tool: "repo.read" }, { upstream: "b", tool: "repo.commit" }]), tools: [tool("a"), tool("b")] }]);
    const live: Introspection = { active: true, reasons: [], lease: null, tools: [{ tool: "repo.read", resource: null, stepUp: false, risk: "low", readOnly: true }] };
    expect(usableTools(table, live).map((t) => t.name)).toEqual(["a"]);
    expect(usableTools(table, { ...live, active: false })).toEqual([]);
  });

  it("derives the resource from the named argument; paths are normalized, relative ones refused", () => {
    const [t] = exposeTools([{ connection: conn("fs", [{ upstream: "r", tool: "repo.read", resource: { type: "path", argument: "path" } }]), tools: [tool("r")] }]).values();
    expect(deriveResource(t!, { path: "/srv/a/../b//c/" })).toEqual({ ok: true, resource: { type: "path", id: "/srv/b/c" }, args: { path: "/srv/b/c" } });
    expect(deriveResource(t!, { path: "b/c" })).toMatchObject({ ok: false });
    expect(deriveResource(t!, {})).toMatchObject({ ok: false });
    expect(deriveResource(t!, { path: 7 })).toMatchObject({ ok: false });
    expect(deriveResource(t!, { path: "/a\0b" })).toMatchObject({ ok: false });
  });
});
