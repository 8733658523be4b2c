import { AuditExplorer } from "./_components/audit-explorer";
import { activeFilters, loadAuditFilters, PAGE_SIZE } from "./_components/filters";
import { Forbidden } from "@/components/ui/forbidden";
import { PageHeader } from "@/components/ui/page-header";
import { type SearchParams } from "@/lib/api/search-params";
import { listAuditEvents } from "@/lib/audit/explore";
import { auditFilterOptions } from "@/lib/audit/filter-options";
import { AuditFilterQuery } from "@/lib/audit/schemas";
import { pageAccess } from "@/lib/auth/page-guard";
import { db } from "@/lib/db";

export const metadata = { title: "Audit" };
export const dynamic = "force-dynamic";

export default async function AuditPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const access = await pageAccess("audit.read", "/audit");
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  const filters = activeFilters(loadAuditFilters(await searchParams));
  // The first page of the URL's filter is rendered here; a filter the API would refuse is left to the
  // client, which shows the API's own message.
  const parsed = AuditFilterQuery.safeParse(filters);
  const [options, page] = await Promise.all([auditFilterOptions(db()), parsed.success ? listAuditEvents(db(), { ...parsed.data, limit: PAGE_SIZE }) : null]);
  return (
    <div>
      <PageHeader
        title="Audit"
        description="Every decision, lease change, approval and console action, append-only and hash-chained. Filters stay in the address, so a query is a link."
      />
      <AuditExplorer options={options} initial={page ? { filters, page } : null} />
    </div>
  );
}
