import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { seqBound, verifyChainShared } from "@/lib/audit/verify";
import { db } from "@/lib/db";

export const dynamic = "force-dynamic";

export const GET = withApi(operations.verifyAudit, async ({ query }) =>
  verifyChainShared(db(), { fromSeq: await seqBound(db(), query.from, "from"), toSeq: await seqBound(db(), query.to, "to"), witness: query.checkpoint }),
);
