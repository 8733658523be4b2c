import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { db } from "@/lib/db";
import { issueLease } from "@/lib/leases/issue";
import { listLeases } from "@/lib/leases/queries";

export const POST = withApi(operations.issueLease, ({ caller, body }) => issueLease(db(), caller, body));
export const GET = withApi(operations.listLeases, async ({ query }) => ({ leases: await listLeases(db(), query) }));
