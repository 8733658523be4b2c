import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { decideLeaseRequest } from "@/lib/leases/lifecycle";

export const POST = withApi(operations.decideLeaseRequest, ({ caller, params, body }) => decideLeaseRequest(db(), caller as Actor, params.id, body.verdict, body.reason));
