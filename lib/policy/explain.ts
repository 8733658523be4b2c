import type { Db } from "@/lib/db";
import type { PolicyStamp } from "@/lib/policy/apply";
import { parsePolicies } from "@/lib/policy/text";

/** Explain's policy part: the version a decision was made under and the text of the policies that decided it. */
export async function explainPolicy(db: Db, stamp: unknown) {
  const s = stamp as PolicyStamp | null;
  if (!s || typeof s !== "object" || s.version === null || s.version === undefined) return null;
  const row = await db.policyVersion.findUnique({ where: { version: s.version }, select: { text: true, message: true, authorEmail: true, createdAt: true } });
  const parsed = row ? parsePolicies(row.text) : null;
  const textOf = (id: string) => (parsed?.ok ? (parsed.policies.find((p) => p.id === id)?.text.trim() ?? null) : null);
  return {
    version: s.version,
    determinedBy: s.determinedBy,
    leaseOutcome: s.lease,
    publishedBy: row?.authorEmail ?? null,
    publishedAt: row?.createdAt.toISOString() ?? null,
    message: row?.message ?? null,
    policies: s.determinedBy.map((id) => ({ id, text: textOf(id) })),
  };
}
