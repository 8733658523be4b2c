// Casts one vote from a separate Node process (its own Prisma client and pool): a second app instance.
import { castVote } from "@/lib/escalations/vote";
import { db } from "@/lib/db";

// sessionId: the voter's console session, whose proof of presence a high or critical approval needs.
const [escalationId, voterId, sessionId = ""] = process.argv.slice(2) as [string, string, string?];
const voter = await db().user.findUniqueOrThrow({ where: { id: voterId } });
await castVote(db(), { kind: "user", id: voter.id, email: voter.email, name: voter.name, role: voter.role, session: { id: sessionId, version: voter.sessionVersion } }, escalationId, "approve", "approved from instance two");
await db().$disconnect();
process.stdout.write(`voted at ${Date.now()}\n`);
