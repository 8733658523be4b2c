export const tableClass = "min-w-full divide-y divide-slate-200 text-sm";
export const thClass = "px-3 py-2 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase";
export const tdClass = "px-3 py-2 align-top";
// Wide tables scroll sideways inside TableWrap; the key column (first) and an actions column (last) stay in view.
export const pinStartTh = "sticky left-0 z-[1] bg-slate-50 shadow-[1px_0_0_var(--color-slate-200)]";
export const pinStartTd = "sticky left-0 z-[1] bg-white shadow-[1px_0_0_var(--color-slate-200)]";
export const pinEndTh = "sticky right-0 z-[1] bg-slate-50 shadow-[-1px_0_0_var(--color-slate-200)]";
export const pinEndTd = "sticky right-0 z-[1] bg-white shadow-[-1px_0_0_var(--color-slate-200)]";

export function TableWrap({ children, label }: { children: React.ReactNode; label?: string }) {
  return (
    // relative: absolutely positioned descendants (sr-only labels) scroll with the table instead of widening the page.
    <div className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-xs" role="region" aria-label={label} tabIndex={label ? 0 : undefined}>
      {children}
    </div>
  );
}
