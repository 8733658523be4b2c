import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { db } from "@/lib/db";
import { getEscalation } from "@/lib/escalations/read";

export const dynamic = "force-dynamic";
export const GET = withApi(operations.getEscalation, ({ caller, params, query, req }) => getEscalation(db(), caller, params.id, query.waitSeconds, req.signal));
