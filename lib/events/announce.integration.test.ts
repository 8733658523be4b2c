import { afterAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { announceRuns, subscribe } from "@/lib/events/bus";
import { newId } from "@/lib/ids";

describe("announceRuns", () => {
  let unsubscribe: (() => void) | undefined;
  afterAll(() => unsubscribe?.());

  it("reaches subscribers, sent on the instance's listening connection, batched and none lost", async () => {
    const heard = new Set<string>();
    unsubscribe = await subscribe((e) => {
      if (e.type === "run.event") for (const id of e.runIds) heard.add(id);
    });
    const runs = Array.from({ length: 250 }, () => newId("run"));
    for (const id of runs) announceRuns(db(), [id, null]);
    await expect.poll(() => runs.filter((r) => heard.has(r)).length, { timeout: 5_000 }).toBe(250);
  });
});
