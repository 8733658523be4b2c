// The console's pages call lib directly (no withApi, so no input guard): an id or filter taken from the
// address with a NUL in it (/leases/%00, /agents?q=%00) must read as "not found" or "filter not
// understood", never reach PostgreSQL (which fails the query: a 500 page).
import { describe, expect, it } from "vitest";
import { AgentListQuery } from "@/lib/agents/schemas";
import { getAgent } from "@/lib/agents/queries";
import { AppError } from "@/lib/errors";
import { explainDecision } from "@/lib/audit/explain";
import { getLeaseDetail } from "@/lib/leases/queries";
import { ensureReceipt } from "@/lib/receipts/receipt";
import { getRunDetail } from "@/lib/runs/list";
import { db } from "@/lib/db";

describe("ids from a page's address", () => {
  it.each([
    ["an agent (/agents/[id])", (id: string) => getAgent(db(), `agt_${id}`)],
    ["a lease (/leases/[id])", (id: string) => getLeaseDetail(db(), `lse_${id}`)],
    ["a receipt (/leases/[id]/receipt)", (id: string) => ensureReceipt(db(), `lse_${id}`)],
    ["a run (/runs/[id])", (id: string) => getRunDetail(db(), `run_${id}`)],
    ["a decision (/audit/decisions/[id])", (id: string) => explainDecision(db(), `dec_${id}`)],
  ])("%s with NUL or a lone surrogate is not found", async (_what, read) => {
    for (const bad of ["\u0000", "x\u0000y", "\ud800"]) {
      const err = await read(bad).then(() => null, (e: unknown) => e);
      expect(err, JSON.stringify(bad)).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe("not_found");
    }
  });
});

describe("the agents page's filters", () => {
  it("refuses a NUL in q (the page then ignores the filters)", () => {
    expect(AgentListQuery.safeParse({ q: "a\u0000" }).success).toBe(false);
    expect(AgentListQuery.safeParse({ q: "\ud800" }).success).toBe(false);
    expect(AgentListQuery.safeParse({ q: "build" }).success).toBe(true);
  });
});
