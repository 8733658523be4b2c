import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { listAuditEvents } from "@/lib/audit/explore";
import { db } from "@/lib/db";

export const GET = withApi(operations.listAuditEvents, ({ query }) => listAuditEvents(db(), query));
