import type { ApiError } from "@/lib/api/client";
import { formErrors, type FormSpec } from "@/lib/schemas/form-errors";

/**
 * Shows what the server said: its message, and each field issue on its own line. With `fields` (the
 * form's FormSpec) the fields carry their own messages: the alert names them and says only the rest.
 */
export function ErrorAlert({ error, testId = "form-error", fields }: { error: ApiError | Error | string | null | undefined; testId?: string; fields?: FormSpec }) {
  if (!error) return null;
  if (fields) {
    const f = formErrors(typeof error === "string" ? { message: error } : error, fields);
    return (
      <div role="alert" data-testid={testId} className="rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-800">
        <p className="font-medium">{f.summary}</p>
        {f.unplaced.length > 0 && (
          <ul className="mt-1 list-disc pl-5">
            {f.unplaced.map((m) => (
              <li key={m}>{m}</li>
            ))}
          </ul>
        )}
      </div>
    );
  }
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
