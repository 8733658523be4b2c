import { describe, expect, it } from "vitest";
import { mcpCallOf } from "@/lib/decisions/mcp-call";

describe("mcpCallOf", () => {
  it("reads the gateway's context.mcp and the decision's own arguments", () => {
    const context = { environment: "dev", mcp: { session: "3f1c", connection: "fs", upstreamTool: "write_file", argumentsDigest: "ab".repeat(32) } };
    expect(mcpCallOf(context, { arguments: { path: "/x", content: "hi" }, argumentsDigest: "cd".repeat(32) })).toEqual({
      session: "3f1c",
      connection: "fs",
      upstreamTool: "write_file",
      method: null,
      arguments: { path: "/x", content: "hi" },
      // The decision's own digest (Lanyard computed it) wins over what the context claims.
      argumentsDigest: "cd".repeat(32),
    });
  });

  it("degrades: no context, no mcp, or malformed fields give null or leave the field out", () => {
    expect(mcpCallOf(null)).toBeNull();
    expect(mcpCallOf({ environment: "dev" })).toBeNull();
    expect(mcpCallOf({ mcp: "not an object" })).toBeNull();
    expect(mcpCallOf([1, 2])).toBeNull();
    expect(mcpCallOf({ mcp: { session: 42, connection: "fs", method: "resources/read" } }, { arguments: [1, 2] })).toEqual({
      session: null,
      connection: "fs",
      upstreamTool: null,
      method: "resources/read",
      arguments: null,
      argumentsDigest: null,
    });
    // The gateway's stdio front has no session id: null, and the call still shows.
    expect(mcpCallOf({ mcp: { session: null, connection: "fs", upstreamTool: "read_text_file" } })?.upstreamTool).toBe("read_text_file");
    // An enforcement point that is not MCP but sent arguments.
    expect(mcpCallOf(undefined, { arguments: { id: 7 } })?.arguments).toEqual({ id: 7 });
  });
});
