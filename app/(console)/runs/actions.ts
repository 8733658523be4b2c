"use server";
import { currentActor } from "@/lib/auth/session";
import { can } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { runFamily } from "@/lib/runs/timeline";

const RUN_ID = /^run_[a-z0-9_]{1,60}$/;

/**
 * The run and every subagent run below it. The timeline asks while its run is live: the event stream
 * fixes its family when it opens, so a subagent started later is only streamed after a reconnect.
 */
export async function runFamilyIds(runId: string): Promise<string[]> {
  if (typeof runId !== "string" || !RUN_ID.test(runId)) return [];
  const actor = await currentActor();
  if (!actor || !can(actor, "runs.read")) return [];
  return runFamily(db(), runId);
}
