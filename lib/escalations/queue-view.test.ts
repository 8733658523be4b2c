import { describe, expect, it } from "vitest";
import { filterOptions, filterQueue, groupQueue, sortQueue, type QueueEntry } from "@/lib/escalations/queue-view";

const base = Date.parse("2026-12-01T12:00:00Z");
let n = 0;
function entry(over: Partial<QueueEntry> & { minutes?: number } = {}): QueueEntry {
  const { minutes = 30, ...rest } = over;
  return {
    id: `esc_${String(++n).padStart(3, "0")}`,
    kind: "lease_request",
    risk: "medium",
    tool: null,
    resource: null,
    argumentsDigest: null,
    expiresAt: new Date(base + minutes * 60_000).toISOString(),
    agent: { id: "agt_a", name: "repo-maintenance-agent" },
    lease: { purpose: "nightly dependency bump", environment: "staging", grants: [{ tool: "repo.read" }, { tool: "repo.commit" }] },
    ...rest,
  };
}

describe("the approval queue's order, filters and groups", () => {
  it("what is assigned to the viewer comes first, even a low-risk request before someone else's critical one", () => {
    const theirs = entry({ kind: "step_up", risk: "critical", tool: "production.deploy", minutes: 2, assignedToYou: false });
    const mine = entry({ kind: "step_up", risk: "low", tool: "repo.read", minutes: 50, assignedToYou: true });
    expect(sortQueue([theirs, mine])).toEqual([mine, theirs]);
  });

  it("eight identical lease requests take one row; a high-risk merge expiring later is still on top", () => {
    const requests = Array.from({ length: 8 }, (_, i) => entry({ minutes: 5 + i }));
    const merge = entry({ kind: "step_up", risk: "high", tool: "pull_request.merge", resource: { type: "repo", id: "clord" }, minutes: 55 });
    const groups = groupQueue(sortQueue([...requests, merge]));
    expect(groups).toHaveLength(2);
    expect(groups[0]!.lead).toBe(merge);
    expect(groups[1]!.items).toHaveLength(8);
    expect(groups[1]!.lead).toBe(requests[0]);
  });

  it("sorts by risk, then time left", () => {
    const low = entry({ risk: "low", minutes: 1 });
    const critSoon = entry({ risk: "critical", minutes: 10 });
    const critLate = entry({ risk: "critical", minutes: 20 });
    const highSoon = entry({ risk: "high", minutes: 2 });
    expect(sortQueue([low, critLate, highSoon, critSoon]).map((i) => i.id)).toEqual([critSoon.id, critLate.id, highSoon.id, low.id]);
  });

  it("different resources, arguments or grants are different requests", () => {
    const a = entry({ kind: "step_up", tool: "repo.commit", resource: { type: "branch", id: "a" } });
    const b = entry({ kind: "step_up", tool: "repo.commit", resource: { type: "branch", id: "b" } });
    const c = entry({ kind: "step_up", tool: "repo.commit", resource: { type: "branch", id: "a" }, argumentsDigest: "x" });
    const d = entry({ lease: { purpose: "nightly dependency bump", environment: "staging", grants: [{ tool: "repo.read" }] } });
    const e = entry({ agent: { id: "agt_b", name: "other" } });
    expect(groupQueue(sortQueue([a, b, c, d, e, entry()]))).toHaveLength(6);
  });

  it("filters by risk, agent, kind and tool (a lease request matches each tool it asks for)", () => {
    const lease = entry();
    const merge = entry({ kind: "step_up", risk: "high", tool: "pull_request.merge", agent: { id: "agt_b", name: "release-agent" } });
    const all = [lease, merge];
    expect(filterQueue(all, { risk: "high" })).toEqual([merge]);
    expect(filterQueue(all, { agent: "agt_a" })).toEqual([lease]);
    expect(filterQueue(all, { kind: "step_up" })).toEqual([merge]);
    expect(filterQueue(all, { tool: "repo.commit" })).toEqual([lease]);
    expect(filterQueue(all, { tool: null, risk: "" })).toEqual(all);
    expect(filterOptions(all)).toEqual({
      agents: [
        { id: "agt_b", name: "release-agent" },
        { id: "agt_a", name: "repo-maintenance-agent" },
      ],
      tools: ["pull_request.merge", "repo.commit", "repo.read"],
    });
  });

  it("extensions are never folded together: each asks its own lease's limits", () => {
    const a = entry({ kind: "extension" });
    const b = entry({ kind: "extension" });
    expect(groupQueue(sortQueue([a, b])).map((g) => g.items.length)).toEqual([1, 1]);
  });
});
