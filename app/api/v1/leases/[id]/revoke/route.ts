import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { revokeLease } from "@/lib/leases/lifecycle";

export const POST = withApi(operations.revokeLease, ({ caller, params, body }) => revokeLease(db(), caller as Actor, params.id, body.reason));
