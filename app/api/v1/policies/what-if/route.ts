import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { db } from "@/lib/db";
import { whatIf } from "@/lib/policy/what-if";

export const POST = withApi(operations.whatIfPolicies, async ({ body }) => whatIf(db(), body));
