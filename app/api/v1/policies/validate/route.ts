import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { db } from "@/lib/db";
import { validatePolicyText } from "@/lib/policy/store";

export const POST = withApi(operations.validatePolicies, async ({ body }) => validatePolicyText(db(), body.text));
