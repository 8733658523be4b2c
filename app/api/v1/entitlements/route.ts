import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { createEntitlement, listEntitlements } from "@/lib/entitlements/entitlements";

export const GET = withApi(operations.listEntitlements, async () => ({ entitlements: await listEntitlements(db()) }));
export const POST = withApi(operations.createEntitlement, ({ caller, body }) => createEntitlement(db(), caller as Actor, body));
