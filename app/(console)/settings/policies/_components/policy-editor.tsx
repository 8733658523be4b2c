"use client";
import { useId, useRef } from "react";
import type { Validation } from "./types";

/**
 * A plain textarea with a line-number gutter and, beside each line, the validation errors on it. The
 * gutter and the notes follow the textarea's scroll; no wrapping, so one text line is one row. Tab
 * keeps moving focus (it is not captured), so the editor never traps the keyboard.
 */
export function PolicyEditor({ text, onChange, readOnly, errors, describedBy }: { text: string; onChange: (t: string) => void; readOnly: boolean; errors: Validation["errors"]; describedBy?: string }) {
  const id = useId();
  const gutter = useRef<HTMLDivElement>(null);
  const notes = useRef<HTMLDivElement>(null);
  const lineCount = text.split("\n").length;
  const byLine = new Map<number, string[]>();
  for (const e of errors) if (e.line) byLine.set(e.line, [...(byLine.get(e.line) ?? []), e.policyId ? `${e.policyId}: ${e.message}` : e.message]);
  const follow = (top: number) => {
    if (gutter.current) gutter.current.scrollTop = top;
    if (notes.current) notes.current.scrollTop = top;
  };
  return (
    <div className="flex h-[28rem] overflow-hidden rounded-md border border-slate-300 bg-white font-mono text-xs leading-5 focus-within:ring-2 focus-within:ring-indigo-500">
      <div ref={gutter} aria-hidden className="w-12 shrink-0 overflow-hidden border-r border-slate-200 bg-slate-50 py-2 pr-2 text-right text-slate-500 select-none">
        {Array.from({ length: lineCount }, (_, i) => (
          <div key={i} className={byLine.has(i + 1) ? "bg-rose-100 font-semibold text-rose-700" : undefined}>
            {i + 1}
          </div>
        ))}
        <div className="h-8" />
      </div>
      <label htmlFor={id} className="sr-only">
        Policy text (Cedar)
      </label>
      <textarea
        id={id}
        data-testid="policy-text"
        value={text}
        onChange={(e) => onChange(e.target.value)}
        onScroll={(e) => follow(e.currentTarget.scrollTop)}
        readOnly={readOnly}
        aria-readonly={readOnly}
        aria-invalid={errors.length > 0}
        aria-describedby={describedBy}
        wrap="off"
        spellCheck={false}
        autoCapitalize="off"
        autoComplete="off"
        className={`min-w-0 flex-1 resize-none overflow-auto px-3 py-2 whitespace-pre outline-none ${readOnly ? "bg-slate-50 text-slate-700" : ""}`}
      />
      <div ref={notes} aria-hidden className="w-80 shrink-0 overflow-hidden border-l border-slate-200 py-2 font-sans">
        {Array.from({ length: lineCount }, (_, i) => {
          const here = byLine.get(i + 1);
          return here ? (
            <div key={i} data-testid="inline-error" data-line={i + 1} title={here.join("\n")} className="truncate bg-rose-50 px-2 text-rose-800">
              ⚠ {here.join(" · ")}
            </div>
          ) : (
            <div key={i}>&nbsp;</div>
          );
        })}
        <div className="h-8" />
      </div>
    </div>
  );
}
