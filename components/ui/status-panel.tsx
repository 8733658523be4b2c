import Link from "next/link";

/** The panel of the console's 403 / 404 / error pages: a code, a sentence in plain words, a way back. */
export function StatusPanel({ code, title, children, testId, tone = "slate" }: { code: string; title: string; children?: React.ReactNode; testId: string; tone?: "slate" | "rose" }) {
  return (
    <div role="alert" data-testid={testId} className={`mx-auto mt-16 max-w-lg rounded-lg border bg-white p-8 text-center shadow-sm ${tone === "rose" ? "border-rose-200" : "border-slate-200"}`}>
      <p className={`text-sm font-semibold tracking-wide uppercase ${tone === "rose" ? "text-rose-700" : "text-slate-600"}`}>{code}</p>
      <h1 className="mt-2 text-xl font-semibold text-slate-900">{title}</h1>
      {children && <div className="mt-2 text-sm text-slate-600">{children}</div>}
    </div>
  );
}

export function BackToDashboard() {
  return (
    <Link href="/" className="mt-4 inline-block text-sm font-medium text-indigo-700 hover:underline">
      Back to the dashboard
    </Link>
  );
}
