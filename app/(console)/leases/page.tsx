import Link from "next/link";
import { LeaseTable } from "@/components/leases/lease-table";
import { LinkButton } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Field, inputClass } from "@/components/ui/field";
import { FilterForm } from "@/components/ui/filter-form";
import { Forbidden } from "@/components/ui/forbidden";
import { PageHeader } from "@/components/ui/page-header";
import { listAgents } from "@/lib/agents/queries";
import { firstParams, type SearchParams } from "@/lib/api/search-params";
import { pageAccess } from "@/lib/auth/page-guard";
import { can } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { listLeases } from "@/lib/leases/queries";
import { LeaseListQuery, LeaseStatus } from "@/lib/leases/schemas";

export const metadata = { title: "Leases" };

export default async function LeasesPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const access = await pageAccess("leases.read", "/leases");
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  const raw = firstParams(await searchParams);
  const parsed = LeaseListQuery.safeParse({ status: raw.status, agentId: raw.agentId });
  const query = parsed.success ? parsed.data : LeaseListQuery.parse({});
  const [leases, agents] = await Promise.all([listLeases(db(), query), listAgents(db(), {})]);
  const agentNames = new Map(agents.map((a) => [a.id, a.name]));
  const issue = can(access.actor, "leases.issue");
  const filtered = Boolean(query.status || query.agentId);

  return (
    <div>
      <PageHeader
        title="Leases"
        description="Temporary, scoped grants for one agent run. Newest first."
        actions={issue ? <LinkButton href="/leases/new">Issue lease</LinkButton> : undefined}
      />
      <FilterForm label="Filter leases">
        <Field label="Status">
          <select name="status" defaultValue={query.status ?? ""} className={inputClass}>
            <option value="">Any status</option>
            {LeaseStatus.options.map((s) => (
              <option key={s} value={s}>
                {s.replaceAll("_", " ")}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Agent">
          <select name="agentId" defaultValue={query.agentId ?? ""} className={inputClass}>
            <option value="">Any agent</option>
            {agents.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </Field>
      </FilterForm>
      {!parsed.success && (
        <p role="alert" className="mb-3 text-sm text-amber-800">
          Some filters in the address were not understood and are ignored.
        </p>
      )}
      <p className="mb-2 text-sm text-slate-600" aria-live="polite" data-testid="leases-count">
        {leases.length === query.limit ? `latest ${leases.length}` : leases.length} {leases.length === 1 ? "lease" : "leases"}
      </p>
      {leases.length ? (
        <LeaseTable leases={leases} agentNames={agentNames} />
      ) : (
        <EmptyState title={filtered ? "No lease matches these filters" : "No leases yet"}>
          {filtered ? (
            <Link href="/leases" className="text-indigo-700 underline">
              Clear the filters
            </Link>
          ) : issue ? (
            <>
              <Link href="/leases/new" className="text-indigo-700 underline">
                Issue a lease
              </Link>{" "}
              when an agent run needs permission.
            </>
          ) : (
            "Leases appear here when people issue them or enforcement points request them."
          )}
        </EmptyState>
      )}
    </div>
  );
}
