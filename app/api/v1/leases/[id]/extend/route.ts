import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { requestExtension } from "@/lib/leases/extend";

export const POST = withApi(operations.extendLease, ({ caller, params, body }) => requestExtension(db(), caller as Actor, params.id, body));
