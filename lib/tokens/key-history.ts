import type { Db } from "@/lib/db";

/**
 * A lease-token signing key as Settings shows it: its id, when it was made, when a rotation replaced it
 * (the next key's creation, made in the same transaction) and until when it verifies lease tokens.
 * Never the private half.
 */
export type SigningKeyView = {
  kid: string;
  /** signing: signs new tokens; retired: replaced, verifies until verifiesUntil; revoked: refused since verifiesUntil */
  state: "signing" | "retired" | "revoked";
  createdAt: string;
  replacedAt: string | null;
  verifiesUntil: string | null;
};

export async function signingKeyHistory(db: Db, limit = 20): Promise<SigningKeyView[]> {
  const rows = await db.signingKey.findMany({ select: { kid: true, status: true, createdAt: true, retiredAt: true }, orderBy: [{ createdAt: "desc" }, { kid: "desc" }], take: limit + 1 });
  return rows.slice(0, limit).map((r, i) => {
    const next = rows[i - 1];
    const state = r.status === "revoked" ? "revoked" : r.retiredAt ? "retired" : "signing";
    return { kid: r.kid, state, createdAt: r.createdAt.toISOString(), replacedAt: state === "signing" ? null : (next?.createdAt.toISOString() ?? r.retiredAt?.toISOString() ?? null), verifiesUntil: r.retiredAt?.toISOString() ?? null };
  });
}
