// Unchanged lines kept around each change; longer unchanged runs fold into one "… n unchanged lines" row.
const CONTEXT = 3;

type Row = { kind: "add" | "del" | "same"; text: string } | { kind: "fold"; count: number };

function fold(lines: string[]): Row[] {
  const changed = lines.map((l) => l.startsWith("+") || l.startsWith("-"));
  const near = (i: number) => changed.slice(Math.max(0, i - CONTEXT), i + CONTEXT + 1).some(Boolean);
  const rows: Row[] = [];
  lines.forEach((l, i) => {
    if (changed[i] || near(i)) rows.push({ kind: l.startsWith("+") ? "add" : l.startsWith("-") ? "del" : "same", text: l.slice(1) });
    else if (rows.at(-1)?.kind === "fold") (rows.at(-1) as { count: number }).count++;
    else rows.push({ kind: "fold", count: 1 });
  });
  return rows;
}

/** A unified line diff ("+" added, "-" removed, " " kept), as lib/policy/diff.ts writes it, unchanged stretches folded. */
export function DiffView({ diff, label, testId = "policy-diff" }: { diff: string; label: string; testId?: string }) {
  const lines = diff ? diff.split("\n") : [];
  const added = lines.filter((l) => l.startsWith("+")).length;
  const removed = lines.filter((l) => l.startsWith("-")).length;
  return (
    <figure data-testid={testId} data-added={added} data-removed={removed}>
      <figcaption className="mb-1 text-xs text-slate-600">
        {label}: <span className="text-emerald-700">+{added}</span> <span className="text-rose-700">−{removed}</span>
      </figcaption>
      {added + removed === 0 ? (
        <p className="text-sm text-slate-500">No change.</p>
      ) : (
        <pre className="max-h-96 overflow-auto rounded-md border border-slate-200 bg-slate-50 py-2 font-mono text-xs leading-5" tabIndex={0} aria-label={label}>
          {fold(lines).map((row, i) => {
            if (row.kind === "fold")
              return (
                <div key={i} data-diff="fold" className="bg-slate-100 px-3 text-slate-500 italic">
                  … {row.count} unchanged {row.count === 1 ? "line" : "lines"}
                </div>
              );
            const { kind, text } = row;
            return (
              <div key={i} data-diff={kind} className={`px-3 whitespace-pre ${kind === "add" ? "bg-emerald-50 text-emerald-900" : kind === "del" ? "bg-rose-50 text-rose-900" : "text-slate-600"}`}>
                <span aria-hidden className="mr-2 select-none">
                  {kind === "add" ? "+" : kind === "del" ? "−" : " "}
                </span>
                <span className="sr-only">{kind === "add" ? "added: " : kind === "del" ? "removed: " : ""}</span>
                {text || " "}
              </div>
            );
          })}
        </pre>
      )}
    </figure>
  );
}
