import { describe, expect, it } from "vitest";
import { buildTimeline } from "@/app/(console)/runs/_components/timeline-model";
import type { RunEvent } from "@/app/(console)/runs/_components/use-run-events";

let seq = 0;
const ev = (type: RunEvent["type"], data: Record<string, unknown>): RunEvent => ({ type, data: { seq: String(++seq), runId: "run_1", escalationId: "esc_1", action: type, ...data } as never });

describe("run timeline model", () => {
  it("folds every vote of an escalation into its row, in order, beside the decision", () => {
    const events = [
      ev("escalation.created", { payload: { kind: "step_up" } }),
      ev("escalation.voted", { actorLabel: "ana@example.test", outcome: "approve", payload: { verdict: "approve", reason: "first look" } }),
      ev("escalation.voted", { actorLabel: "bo@example.test", outcome: "approve", payload: { verdict: "approve", reason: "second look" } }),
      ev("escalation.decided", { actorLabel: "bo@example.test", outcome: "approved", payload: { status: "approved", reason: "second look" } }),
    ];
    const { rows } = buildTimeline("run_1", events);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.kind).toBe("escalation");
    if (row.kind !== "escalation") return;
    expect(row.votes.map((v) => [v.data.actorLabel, (v.data.payload as { reason: string }).reason])).toEqual([
      ["ana@example.test", "first look"],
      ["bo@example.test", "second look"],
    ]);
    expect(row.decided?.data.outcome).toBe("approved");
  });
});
