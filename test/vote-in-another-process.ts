// Casts one vote from a separate Node process (its own Prisma client and pool): a second app instance.
import { castVote } from "@/lib/escalations/vote";
import { db } from "@/lib/db";

const [escalationId, voterId] = process.argv.slice(2) as [string, string];
const voter = await db().user.findUniqueOrThrow({ where: { id: voterId } });
await castVote(db(), { kind: "user", id: voter.id, email: voter.email, name: voter.name, role: voter.role }, escalationId, "approve", "approved from instance two");
await db().$disconnect();
process.stdout.write(`voted at ${Date.now()}\n`);
