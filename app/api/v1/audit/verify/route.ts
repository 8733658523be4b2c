import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { seqBound, verifyChain } from "@/lib/audit/verify";
import { db } from "@/lib/db";

export const dynamic = "force-dynamic";

export const GET = withApi(operations.verifyAudit, async ({ query }) =>
  verifyChain(db(), { fromSeq: await seqBound(db(), query.from, "from"), toSeq: await seqBound(db(), query.to, "to") }),
);
