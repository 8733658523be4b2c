"use client";
import { useInfiniteQuery, type InfiniteData } from "@tanstack/react-query";
import { useQueryStates } from "nuqs";
import { useCallback, useMemo, useState } from "react";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { ErrorAlert } from "@/components/ui/error-alert";
import { apiFetch } from "@/lib/api/client";
import type { AuditEventView } from "@/lib/audit/schemas";
import { AUDIT_FILTER_FIELDS, AuditFilterBar, type FilterOptions } from "./audit-filter-bar";
import { AuditTable } from "./audit-table";
import { EventDrawer } from "./event-drawer";
import { activeFilters, auditFilterParsers, PAGE_SIZE, type AuditFilterValues, type AuditPage } from "./filters";
import { useVerifyIntegrity, VerifyButton, VerifyResultPanel } from "./verify-integrity";

type Active = ReturnType<typeof activeFilters>;

const queryString = (f: Active, extra: Record<string, string> = {}) => new URLSearchParams({ ...f, ...extra }).toString();

/**
 * The audit explorer: URL-held filters → GET /api/v1/audit/events (keyset pages, newest first) →
 * a virtualized table → an event drawer. The server renders the first page of the URL's filter, so a
 * shared link shows its result at once.
 */
export function AuditExplorer({ options, initial }: { options: FilterOptions; initial: { filters: Active; page: AuditPage } | null }) {
  const [filters, setFilters] = useQueryStates(auditFilterParsers, { history: "push" });
  const active = useMemo(() => activeFilters(filters), [filters]);
  const key = JSON.stringify(active);
  const seeded = initial && JSON.stringify(initial.filters) === key ? initial.page : undefined;

  const query = useInfiniteQuery({
    queryKey: ["audit-events", active],
    queryFn: ({ pageParam }) => apiFetch<AuditPage>(`/api/v1/audit/events?${queryString(active, { limit: String(PAGE_SIZE), ...(pageParam ? { cursor: pageParam } : {}) })}`),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    initialData: seeded ? ({ pages: [seeded], pageParams: [null] } satisfies InfiniteData<AuditPage, string | null>) : undefined,
    // An audit log only grows at the top; a refetch of every loaded page on focus would be wasted work.
    refetchOnWindowFocus: false,
    staleTime: 30_000,
  });
  const events = useMemo(() => query.data?.pages.flatMap((p) => p.events) ?? [], [query.data]);
  const agentNames = useMemo(() => new Map(options.agents.map((a) => [a.id, a.name])), [options.agents]);
  const [selected, setSelected] = useState<AuditEventView | null>(null);
  const verify = useVerifyIntegrity();
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = query;
  const fetchNext = useCallback(() => void fetchNextPage(), [fetchNextPage]);
  const close = useCallback(() => setSelected(null), []);
  const narrow = useCallback((f: Partial<AuditFilterValues>) => {
    setSelected(null);
    void setFilters(f);
  }, [setFilters]);
  const filtered = Object.keys(active).length > 0;

  return (
    <div>
      <AuditFilterBar filters={filters} setFilters={setFilters} options={options} error={query.error} />
      <div className="mb-3 flex flex-wrap items-center justify-between gap-3">
        <p className="text-sm text-slate-600" data-testid="audit-count" data-count={events.length} data-complete={String(!hasNextPage)} aria-live="polite">
          {query.isPending ? (
            "Loading events…"
          ) : (
            <>
              <span className="font-semibold text-slate-900 tabular-nums">{events.length.toLocaleString("en")}</span>
              {hasNextPage ? "+ events" : events.length === 1 ? " event" : " events"}
              {filtered ? " matching" : ""}
              {hasNextPage ? " — scroll to load more" : ""}
            </>
          )}
        </p>
        <div className="flex flex-wrap items-center gap-2">
          <Button variant="ghost" size="sm" onClick={() => void query.refetch()} disabled={query.isFetching}>
            {query.isFetching && !isFetchingNextPage ? "Refreshing…" : "Refresh"}
          </Button>
          <a className="inline-flex items-center rounded-md border border-slate-300 bg-white px-2.5 py-1 text-xs font-medium text-slate-800 hover:bg-slate-50" href={`/api/v1/audit/export?${queryString(active, { format: "jsonl" })}`} download data-testid="export-jsonl">
            Export JSONL
          </a>
          <a className="inline-flex items-center rounded-md border border-slate-300 bg-white px-2.5 py-1 text-xs font-medium text-slate-800 hover:bg-slate-50" href={`/api/v1/audit/export?${queryString(active, { format: "csv" })}`} download data-testid="export-csv">
            Export CSV
          </a>
          <VerifyButton verify={verify} />
        </div>
      </div>
      <VerifyResultPanel verify={verify} />
      {query.error ? (
        <ErrorAlert error={query.error} fields={AUDIT_FILTER_FIELDS} testId="audit-error" />
      ) : !query.isPending && events.length === 0 ? (
        <EmptyState title={filtered ? "No events match these filters" : "No audit events yet"}>
          {filtered ? "Widen the time range or remove a filter." : "Every console action and every decision is recorded here as it happens."}
        </EmptyState>
      ) : (
        <AuditTable events={events} agentNames={agentNames} hasNextPage={hasNextPage} fetchingNext={isFetchingNextPage} fetchNext={fetchNext} selectedSeq={selected?.seq ?? null} onSelect={setSelected} />
      )}
      {selected && <EventDrawer event={selected} agentName={selected.agentId ? (agentNames.get(selected.agentId) ?? null) : null} onClose={close} onNarrow={narrow} />}
    </div>
  );
}
