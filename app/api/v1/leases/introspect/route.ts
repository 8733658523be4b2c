import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { db } from "@/lib/db";
import { introspectLease } from "@/lib/leases/introspect";

export const POST = withApi(operations.introspectLease, ({ body }) => introspectLease(db(), body.leaseToken));
