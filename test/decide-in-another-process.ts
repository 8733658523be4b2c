// Makes one decision from a separate Node process (its own pool and bus): a second app instance.
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { stopListening, subscribe } from "@/lib/events/bus";

const [epId, leaseToken] = process.argv.slice(2) as [string, string];
const ep = await db().enforcementPoint.findUniqueOrThrow({ where: { id: epId } });
// This instance hears its own announcements on the bus, as every other instance does.
const heard = new Set<string>();
await subscribe((e) => {
  if (e.type === "run.event") for (const id of e.runIds) heard.add(id);
});
const r = await decide(db(), { kind: "enforcement_point", id: ep.id, name: ep.name, scopes: ep.scopes }, { leaseToken, tool: "repo.read" });
process.stdout.write(`decided ${r.decisionId} at ${Date.now()}\n`);
// The announcement goes out after commit, batched: exit once it has been heard (up to 10 s), not after a fixed time.
const { runId } = await db().decision.findUniqueOrThrow({ where: { id: r.decisionId }, select: { runId: true } });
for (const deadline = Date.now() + 10_000; runId && !heard.has(runId) && Date.now() < deadline; ) await new Promise((res) => setTimeout(res, 5));
await stopListening();
await db().$disconnect();
