import { cloneElement, isValidElement, useId } from "react";

export const inputClass =
  "mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-xs aria-invalid:border-rose-500 disabled:bg-slate-100";

type ControlProps = { id?: string; "aria-describedby"?: string; "aria-invalid"?: boolean };

/**
 * A labelled form control. The label points at the control by id (so its accessible name is exactly
 * the label, not the label plus the selected option or the hint); hint and error describe it.
 */
export function Field({ label, hint, error, children, className = "" }: { label: string; hint?: React.ReactNode; error?: string; children: React.ReactElement<ControlProps>; className?: string }) {
  const base = useId();
  const id = (isValidElement(children) && children.props.id) || `${base}-control`;
  const described = [hint ? `${base}-hint` : null, error ? `${base}-error` : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`text-sm ${className}`}>
      <label htmlFor={id} className="block font-medium text-slate-800">
        {label}
      </label>
      {cloneElement(children, { id, "aria-describedby": described, "aria-invalid": error ? true : children.props["aria-invalid"] })}
      {hint && (
        <p id={`${base}-hint`} className="mt-1 text-xs text-slate-500">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${base}-error`} role="alert" className="mt-1 text-xs text-rose-700">
          {error}
        </p>
      )}
    </div>
  );
}
