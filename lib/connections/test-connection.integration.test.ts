// "Test it" on Settings → Connections: a real upstream over stdio (the npm filesystem server) and over
// Streamable HTTP (the conformance reference server), and upstreams that fail, hang or echo their secrets.
import { existsSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnection } from "@/lib/connections/connections";
import { ConnectionCreate } from "@/lib/connections/schemas";
import { testConnection } from "@/lib/connections/test-connection";
import { db } from "@/lib/db";
import { seedCatalog } from "@/prisma/seed";
import { seedPerson } from "@/test/factories";
import { startConformanceFixture } from "@/test/mcp-fixture";

const FS_SERVER = path.resolve("node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");
const SECRET = `canary-${Math.random().toString(36).slice(2)}-value`;
const uniq = () => `t-${Math.random().toString(36).slice(2, 10)}`;

let admin: Awaited<ReturnType<typeof seedPerson>>;
let fixture: Awaited<ReturnType<typeof startConformanceFixture>>;

beforeAll(async () => {
  await seedCatalog(db());
  admin = await seedPerson(db(), { role: "admin" });
  fixture = await startConformanceFixture();
}, 90_000);
afterAll(async () => {
  await fixture?.stop();
});

const connection = (over: Record<string, unknown>) => createConnection(db(), admin, ConnectionCreate.parse({ name: uniq(), ...over }));

describe("testing a connection", () => {
  it("stdio: spawns the upstream, lists its tools and says which are mapped and which mappings it lacks", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lanyard-contest-"));
    const c = await connection({
      transport: { type: "stdio", command: process.execPath, args: [FS_SERVER, dir], env: { SOME_TOKEN: SECRET } },
      tools: [
        { upstream: "read_text_file", tool: "repo.read", resource: { type: "path", argument: "path" } },
        { upstream: "no_such_tool", tool: "repo.read" },
      ],
    });
    const r = await testConnection(db(), admin, c.id);
    expect(r.error).toBeNull();
    expect(r.ok).toBe(true);
    expect(r.server?.name).toMatch(/filesystem/i);
    const byName = new Map(r.tools.map((t) => [t.name, t]));
    expect(byName.get("read_text_file")?.mappedTo).toBe("repo.read");
    expect(byName.get("write_file")?.mappedTo).toBeNull();
    expect(r.missing).toEqual(["no_such_tool"]);
    const events = await db().auditEvent.findMany({ where: { subjectId: c.id, action: "connection.tested" } });
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ ok: true, tools: r.tools.length });
    expect(JSON.stringify(events.map((e) => e.payload))).not.toContain(SECRET);
  }, 30_000);

  it("http: connects with the stored headers and lists the reference server's tools", async () => {
    const c = await connection({ transport: { type: "http", url: fixture.url, headers: { "x-api-key": SECRET } }, tools: [{ upstream: "test_simple_text", tool: "crm.read" }] });
    const r = await testConnection(db(), admin, c.id);
    expect(r.ok).toBe(true);
    expect(r.tools.find((t) => t.name === "test_simple_text")?.mappedTo).toBe("crm.read");
    expect(r.tools.length).toBeGreaterThan(5);
  }, 30_000);

  it("an upstream that fails is answered as text with its stderr, every stored value redacted", async () => {
    // It prints its own secret, as a misconfigured server dumping its environment would.
    const c = await connection({ transport: { type: "stdio", command: process.execPath, args: ["-e", "console.error('bad token: ' + process.env.API_TOKEN); process.exit(3)"], env: { API_TOKEN: SECRET } } });
    const r = await testConnection(db(), admin, c.id);
    expect(r.ok).toBe(false);
    expect(r.error).toContain("bad token: [redacted]");
    expect(JSON.stringify(r)).not.toContain(SECRET);
    const events = await db().auditEvent.findMany({ where: { subjectId: c.id, action: "connection.tested" } });
    expect(events[0]!.payload).toMatchObject({ ok: false, tools: 0 });
  }, 30_000);

  it("a command that does not exist, a refused port and a server that never answers each say why", async () => {
    const missing = await connection({ transport: { type: "stdio", command: "/nonexistent/mcp-server", args: [] } });
    expect((await testConnection(db(), admin, missing.id)).error).toMatch(/ENOENT/);

    const refused = await connection({ transport: { type: "http", url: "http://127.0.0.1:1/mcp" } });
    const r = await testConnection(db(), admin, refused.id);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/ECONNREFUSED|fetch failed/);

    const silent = await connection({ transport: { type: "stdio", command: process.execPath, args: ["-e", "setInterval(() => {}, 1000)"] } });
    const started = Date.now();
    const s = await testConnection(db(), admin, silent.id, 1000);
    expect(s).toMatchObject({ ok: false, error: "no answer within 1 s" });
    expect(Date.now() - started).toBeLessThan(5000);
  }, 30_000);

  it("runs no stdio command on the Lanyard server unless LANYARD_CONNECTION_TEST_STDIO allows it", async () => {
    const marker = path.join(mkdtempSync(path.join(os.tmpdir(), "lanyard-stdio-off-")), "ran");
    const c = await connection({ transport: { type: "stdio", command: process.execPath, args: ["-e", `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "x")`] } });
    const r = await testConnection(db(), admin, c.id, 10_000, false);
    expect(r).toMatchObject({ ok: false, tools: [], error: expect.stringContaining("LANYARD_CONNECTION_TEST_STDIO") });
    expect(existsSync(marker)).toBe(false);
  });

  it("an unknown connection is not found", async () => {
    await expect(testConnection(db(), admin, "con_doesnotexist")).rejects.toMatchObject({ code: "not_found" });
  });
});
