import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { deleteEntitlement } from "@/lib/entitlements/entitlements";

export const DELETE = withApi(operations.deleteEntitlement, ({ caller, params }) => deleteEntitlement(db(), caller as Actor, params.id));
