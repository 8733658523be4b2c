import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { db } from "@/lib/db";
import { publishPolicy } from "@/lib/policy/store";

export const POST = withApi(operations.publishPolicies, async ({ caller, body }) => {
  if (caller.kind !== "user") throw new Error("unreachable: a session operation");
  return { version: await publishPolicy(db(), caller, body) };
});
