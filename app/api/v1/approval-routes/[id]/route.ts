import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { deleteApprovalRoute, updateApprovalRoute } from "@/lib/routing/routes";

export const PATCH = withApi(operations.updateApprovalRoute, async ({ caller, params, body }) => ({ route: await updateApprovalRoute(db(), caller as Actor, params.id, body) }));
export const DELETE = withApi(operations.deleteApprovalRoute, async ({ caller, params }) => deleteApprovalRoute(db(), caller as Actor, params.id));
