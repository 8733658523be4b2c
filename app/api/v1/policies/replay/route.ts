import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { db } from "@/lib/db";
import { replayPolicy } from "@/lib/policy/replay";

export const POST = withApi(operations.replayPolicies, async ({ body }) => replayPolicy(db(), body));
