"use client";
import { createColumnHelper, tableFeatures, useTable } from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useMemo, useRef } from "react";
import { StatusBadge } from "@/components/ui/badge";
import type { AuditEventView } from "@/lib/audit/schemas";
import { actorText, formatAuditTime } from "./format";

const features = tableFeatures({});
const helper = createColumnHelper<typeof features, AuditEventView>();
const ROW_HEIGHT = 40;
// Wide enough for real event and tool names: below that the grid scrolls sideways (time pinned) instead of cutting them.
const GRID = "11.5rem minmax(13rem,1.2fr) minmax(8rem,1fr) minmax(8rem,1fr) minmax(9rem,11.5rem) minmax(11rem,1fr) 6rem 4.5rem";
const mono = (v: string | null) => (v ? <span className="font-mono text-xs">{v}</span> : <span className="text-slate-500">—</span>);

/**
 * The result as a virtualized grid: only the rows in view (plus a few) are in the DOM, whatever the
 * number loaded, and the next keyset page is fetched when the last loaded rows scroll into view.
 */
export function AuditTable({
  events,
  agentNames,
  hasNextPage,
  fetchingNext,
  fetchNext,
  selectedSeq,
  onSelect,
}: {
  events: AuditEventView[];
  agentNames: Map<string, string>;
  hasNextPage: boolean;
  fetchingNext: boolean;
  fetchNext: () => void;
  selectedSeq: string | null;
  onSelect: (e: AuditEventView) => void;
}) {
  const columns = useMemo(
    () =>
      helper.columns([
        helper.accessor("at", { header: "Time (UTC)", cell: (c) => <time dateTime={c.getValue()} className="whitespace-nowrap tabular-nums text-slate-600">{formatAuditTime(c.getValue()).replace(" UTC", "")}</time> }),
        helper.accessor("action", { header: "Event", cell: (c) => <span className="font-mono text-xs">{c.getValue()}</span> }),
        helper.accessor((e) => actorText(e), { id: "actor", header: "Actor", cell: (c) => <span title={c.row.original.actorId ?? undefined}>{c.getValue()}</span> }),
        helper.accessor("agentId", { header: "Agent", cell: (c) => { const id = c.getValue(); return id ? <span title={id}>{agentNames.get(id) ?? id}</span> : <span className="text-slate-500">—</span>; } }),
        helper.accessor("leaseId", { header: "Lease", cell: (c) => mono(c.getValue()) }),
        helper.accessor("tool", { header: "Tool", cell: (c) => mono(c.getValue()) }),
        helper.accessor("outcome", { header: "Outcome", cell: (c) => { const o = c.getValue(); return o ? <StatusBadge status={o} testId="audit-outcome" /> : <span className="text-slate-500">—</span>; } }),
        helper.accessor("seq", { header: "Seq", cell: (c) => <span className="tabular-nums text-slate-500">{c.getValue()}</span> }),
      ]),
    [agentNames],
  );
  const table = useTable({ features, columns, data: events, getRowId: (e) => e.seq });
  const rows = table.getRowModel().rows;

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    getItemKey: (i) => rows[i]!.id,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1]!.index : -1;

  useEffect(() => {
    if (hasNextPage && !fetchingNext && lastIndex >= rows.length - 25) fetchNext();
  }, [hasNextPage, fetchingNext, lastIndex, rows.length, fetchNext]);

  return (
    <div className="overflow-hidden rounded-lg border border-slate-200 bg-white shadow-xs">
      <div ref={scrollRef} className="max-h-[max(22rem,calc(100vh-24rem))] overflow-auto" role="table" aria-label="Audit events" aria-rowcount={hasNextPage ? -1 : rows.length + 1} data-testid="audit-table">
        <div role="rowgroup" className="sticky top-0 z-10 min-w-[71rem] border-b border-slate-200 bg-slate-50">
          {table.getHeaderGroups().map((group) => (
            <div role="row" key={group.id} className="grid" style={{ gridTemplateColumns: GRID }}>
              {group.headers.map((h) => (
                <div role="columnheader" key={h.id} className="px-3 py-2 text-left first:sticky first:left-0 first:bg-slate-50 text-xs font-semibold tracking-wide text-slate-600 uppercase">
                  <table.FlexRender header={h} />
                </div>
              ))}
            </div>
          ))}
        </div>
        <div role="rowgroup" className="relative min-w-[71rem]" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const row = rows[item.index]!;
            const e = row.original;
            const selected = e.seq === selectedSeq;
            return (
              <div
                role="row"
                key={row.id}
                data-index={item.index}
                data-testid="audit-row"
                data-seq={e.seq}
                aria-rowindex={item.index + 2}
                aria-selected={selected}
                tabIndex={0}
                onClick={() => onSelect(e)}
                onKeyDown={(ev) => {
                  if (ev.key === "Enter" || ev.key === " ") {
                    ev.preventDefault();
                    onSelect(e);
                  }
                }}
                className={`absolute left-0 grid w-full cursor-pointer items-center border-b border-slate-100 text-sm outline-none hover:bg-slate-50 focus-visible:bg-indigo-50 focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-inset ${selected ? "bg-indigo-50" : "bg-white"}`}
                style={{ gridTemplateColumns: GRID, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
              >
                {row.getAllCells().map((cell) => (
                  <div role="cell" key={cell.id} className="truncate px-3 first:sticky first:left-0 first:z-[1] first:bg-inherit">
                    <table.FlexRender cell={cell} />
                  </div>
                ))}
              </div>
            );
          })}
        </div>
        {fetchingNext && <p className="px-3 py-2 text-sm text-slate-500" aria-live="polite">Loading more…</p>}
      </div>
    </div>
  );
}
