import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { listCheckpoints } from "@/lib/audit/checkpoints";
import { db } from "@/lib/db";

export const GET = withApi(operations.listCheckpoints, async () => ({ checkpoints: await listCheckpoints(db()) }));
