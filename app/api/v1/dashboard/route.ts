import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { dashboard } from "@/lib/dashboard/queries";
import { db } from "@/lib/db";

export const dynamic = "force-dynamic";
export const GET = withApi(operations.dashboard, () => dashboard(db()));
