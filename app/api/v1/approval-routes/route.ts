import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { createApprovalRoute, listApprovalRoutes } from "@/lib/routing/routes";

export const GET = withApi(operations.listApprovalRoutes, async () => ({ routes: await listApprovalRoutes(db()) }));
export const POST = withApi(operations.createApprovalRoute, async ({ caller, body }) => ({ route: await createApprovalRoute(db(), caller as Actor, body) }));
