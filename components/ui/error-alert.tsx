import type { ApiError } from "@/lib/api/client";

/** Shows what the server said: its message, and each field issue on its own line. */
export function ErrorAlert({ error, testId = "form-error" }: { error: ApiError | Error | string | null | undefined; testId?: string }) {
  if (!error) return null;
  const message = typeof error === "string" ? error : error.message;
  const issues = typeof error === "object" && "issues" in error ? error.issues : [];
  return (
    <div role="alert" data-testid={testId} className="rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-800">
      <p className="font-medium">{message}</p>
      {issues.length > 1 && (
        <ul className="mt-1 list-disc pl-5">
          {issues.map((i, n) => (
            <li key={n}>
              {i.path.length ? <span className="font-mono">{i.path.join(".")}</span> : null}
              {i.path.length ? ": " : null}
              {i.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
