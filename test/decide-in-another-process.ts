// Makes one decision from a separate Node process (its own pool and bus): a second app instance.
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";

const [epId, leaseToken] = process.argv.slice(2) as [string, string];
const ep = await db().enforcementPoint.findUniqueOrThrow({ where: { id: epId } });
const r = await decide(db(), { kind: "enforcement_point", id: ep.id, name: ep.name, scopes: ep.scopes }, { leaseToken, tool: "repo.read" });
process.stdout.write(`decided ${r.decisionId} at ${Date.now()}\n`);
// Let the post-commit announcement go out before exiting.
await new Promise((res) => setTimeout(res, 200));
await db().$disconnect();
