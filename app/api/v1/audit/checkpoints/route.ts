import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { db } from "@/lib/db";

export const GET = withApi(operations.listCheckpoints, async () => ({
  checkpoints: (await db().auditCheckpoint.findMany({ orderBy: { createdAt: "desc" }, take: 100 })).map((c) => ({ ...c, headSeq: c.headSeq.toString(), count: c.count.toString(), createdAt: c.createdAt.toISOString() })),
}));
