import { beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "@/lib/generated/prisma/client";
import { auditRow } from "@/lib/audit/append";
import { listAuditEvents } from "@/lib/audit/explore";
import { exportStream } from "@/lib/audit/export";
import { db } from "@/lib/db";
import { newId } from "@/lib/ids";

const runId = `run_x${Date.now().toString(36)}`;
const payloads = [
  {},
  { reasons: [{ code: "tool_denied", message: "secrets.read is on the lease's deny list" }] },
  { n: 1.5, big: 12345678901234567890, neg: -0.25, exp: 1e-7, int: 2, t: true, f: false, nil: null },
  { "ünïcödé": "日本語 ✓ \u001f \" \\ / \u2028 😀", nested: { b: [1, { a: "x" }], a: [] } },
  { z: 1, a: 2, aa: 3 },
  ["an", "array"],
];
const labels = ["=HYPERLINK(\"http://evil\")", "plain", "comma, quote \" and\nnewline", "+1", "-2", "@x"];

beforeAll(async () => {
  await db().auditEvent.createMany({
    data: payloads.map((payload, i) => ({
      ...auditRow(newId("evt"), { action: "test.event", actor: { type: "user", id: "usr_x", label: labels[i]! }, runId, leaseVersion: i % 2 ? i : null, tool: i % 3 ? "repo.read" : null }),
      payload: payload as Prisma.InputJsonValue,
      at: new Date(Date.UTC(2031, 1, 3, 4, 5, 6, i * 7)),
    })),
  });
});

async function read(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

describe("audit export", () => {
  it("JSON Lines: each line parses to the API's view of the event, oldest first, across batches", async () => {
    const api = (await listAuditEvents(db(), { runId, limit: 500 })).events.reverse();
    expect(api).toHaveLength(payloads.length);
    for (const batch of [2, 3, 10_000]) {
      const text = await read(exportStream({ runId }, "jsonl", batch));
      expect(text.endsWith("\n")).toBe(true);
      const lines = text.trimEnd().split("\n").map((l) => JSON.parse(l) as unknown);
      expect(lines).toEqual(api);
      // key order too, as the API writes it
      expect(lines.map((l) => Object.keys(l as object))).toEqual(api.map((v) => Object.keys(v)));
    }
  });

  it("CSV: a header, one quoted-as-needed row per event, spreadsheet formulas neutralised", async () => {
    const text = await read(exportStream({ runId }, "csv", 4));
    const [header, ...rest] = text.split("\n");
    expect(header).toBe("seq,id,at,action,actorType,actorId,actorLabel,subjectType,subjectId,agentId,runId,leaseId,escalationId,decisionId,leaseVersion,tokenJti,tool,outcome,payload");
    const body = rest.join("\n");
    expect(body).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(body).toContain(`"comma, quote "" and\nnewline"`);
    for (const risky of ["+1", "-2", "@x"]) expect(body).toContain(`"'${risky}"`);
    expect(body).toContain(`,"{""a"": 2, ""z"": 1, ""aa"": 3}"\n`); // payloads are JSON (jsonb's text), CSV-quoted
    const api = (await listAuditEvents(db(), { runId, limit: 500 })).events.reverse();
    for (const e of api) expect(body).toContain(`${e.seq},${e.id},${e.at},test.event,user`);
  });

  it("an empty result is an empty JSON Lines file and a CSV header alone", async () => {
    expect(await read(exportStream({ runId: "run_none_such" }, "jsonl"))).toBe("");
    expect((await read(exportStream({ runId: "run_none_such" }, "csv"))).split("\n").filter(Boolean)).toHaveLength(1);
  });
});
