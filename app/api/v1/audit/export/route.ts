import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { exportStream } from "@/lib/audit/export";

export const dynamic = "force-dynamic";

export const GET = withApi(operations.exportAudit, async ({ query }) => {
  const { format, ...filters } = query;
  const name = `lanyard-audit-${new Date().toISOString().replace(/[:.]/g, "-")}.${format}`;
  return new Response(exportStream(filters, format), {
    headers: { "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson", "content-disposition": `attachment; filename="${name}"` },
  });
});
