import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { explainDecision } from "@/lib/audit/explain";
import { db } from "@/lib/db";

export const GET = withApi(operations.explainDecision, ({ params }) => explainDecision(db(), params.id));
