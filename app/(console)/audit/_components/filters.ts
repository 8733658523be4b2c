import type { AuditEventView } from "@/lib/audit/schemas";
import { createLoader, createSerializer, parseAsString, type inferParserType } from "nuqs/server";

/**
 * The explorer's filters as URL parameters — the same names as GET /api/v1/audit/events — so the
 * address bar is the query: it can be shared, bookmarked and sent to the API or the export unchanged.
 * Shared by the server page (first page rendered there) and the client explorer.
 */
export const auditFilterParsers = {
  from: parseAsString,
  to: parseAsString,
  actor: parseAsString,
  agentId: parseAsString,
  runId: parseAsString,
  leaseId: parseAsString,
  escalationId: parseAsString,
  decisionId: parseAsString,
  tool: parseAsString,
  outcome: parseAsString,
  action: parseAsString,
  q: parseAsString,
};
export type AuditFilterValues = inferParserType<typeof auditFilterParsers>;
export const FILTER_KEYS = Object.keys(auditFilterParsers) as (keyof AuditFilterValues)[];

export const loadAuditFilters = createLoader(auditFilterParsers);
/** `?agentId=…&outcome=…` for the current filter (empty values dropped), for the API and the export. */
export const serializeAuditFilters = createSerializer(auditFilterParsers, { clearOnDefault: true });

/** The filters that are set, without nulls or blanks: a stable query key and the API's query. */
export function activeFilters(f: AuditFilterValues): Partial<Record<keyof AuditFilterValues, string>> {
  const out: Partial<Record<keyof AuditFilterValues, string>> = {};
  for (const k of FILTER_KEYS) {
    const v = f[k]?.trim();
    if (v) out[k] = v;
  }
  return out;
}

export const OUTCOMES = ["allow", "deny", "escalate", "approved", "denied", "expired"] as const;

/** Rows per keyset page as the table scrolls. */
export const PAGE_SIZE = 100;
export type AuditPage = { events: AuditEventView[]; nextCursor: string | null };
