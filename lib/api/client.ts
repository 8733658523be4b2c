import type { Issue } from "@/lib/errors";

/** An error answered by the v1 API, in its documented shape. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly issues: Issue[] = [],
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** The first issue whose path starts with `prefix` (e.g. "ceiling.tools"). */
  issueFor(prefix: string): string | undefined {
    return this.issues.find((i) => i.path.join(".") === prefix || i.path.join(".").startsWith(`${prefix}.`))?.message;
  }
}

/**
 * Browser-side calls to the console's own v1 API. Writes send JSON; the browser adds the
 * same-origin Origin header the API's CSRF check asks for.
 */
export async function apiFetch<T>(path: string, init: { method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE"; body?: unknown } = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? "GET",
      headers: init.body === undefined ? undefined : { "content-type": "application/json" },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError("Could not reach Lanyard. Check your connection and try again.", 0, "network");
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string; issues?: Issue[] } } | null)?.error;
    const fallback = res.status === 401 ? "Your session has ended. Sign in again." : `Request failed (${res.status})`;
    throw new ApiError(err?.message ?? fallback, res.status, err?.code ?? "unknown", err?.issues ?? []);
  }
  return json as T;
}

/** Turns a zod error from a client-side parse into the same shape the API answers with. */
export function localIssues(issues: { path: PropertyKey[]; message: string }[]): ApiError {
  const mapped = issues.map((i) => ({ path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)), message: i.message }));
  const first = mapped[0];
  return new ApiError(first ? `${first.path.join(".") || "form"}: ${first.message}` : "Check the form", 400, "invalid_request", mapped);
}
