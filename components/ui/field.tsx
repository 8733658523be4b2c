export const inputClass =
  "mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-xs aria-invalid:border-rose-500 disabled:bg-slate-100";

/** A labelled form control: the label wraps the control, so the control's accessible name is the label text. */
export function Field({ label, hint, error, children, className = "" }: { label: string; hint?: React.ReactNode; error?: string; children: React.ReactNode; className?: string }) {
  return (
    <label className={`block text-sm font-medium text-slate-800 ${className}`}>
      {label}
      {children}
      {hint && <span className="mt-1 block text-xs font-normal text-slate-500">{hint}</span>}
      {error && (
        <span role="alert" className="mt-1 block text-xs font-normal text-rose-700">
          {error}
        </span>
      )}
    </label>
  );
}
