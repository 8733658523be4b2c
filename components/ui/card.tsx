export function Card({ title, children, actions, className = "", testId }: { title?: React.ReactNode; children: React.ReactNode; actions?: React.ReactNode; className?: string; testId?: string }) {
  return (
    <section data-testid={testId} className={`min-w-0 rounded-lg border border-slate-200 bg-white p-4 shadow-xs sm:p-5 ${className}`}>
      {(title || actions) && (
        <div className="mb-3 flex flex-wrap items-center justify-between gap-3">
          {title && <h2 className="text-base font-semibold">{title}</h2>}
          {actions}
        </div>
      )}
      {children}
    </section>
  );
}
