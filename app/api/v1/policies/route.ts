import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { db } from "@/lib/db";
import { listPolicies } from "@/lib/policy/store";

export const GET = withApi(operations.listPolicies, async () => listPolicies(db()));
