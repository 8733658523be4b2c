import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { db } from "@/lib/db";
import { getLease } from "@/lib/leases/queries";

export const GET = withApi(operations.getLease, async ({ params }) => ({ lease: await getLease(db(), params.id) }));
