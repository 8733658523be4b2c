import { describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { signingKeyHistory } from "@/lib/tokens/key-history";
import { ensureSigningKey, keys, rotateSigningKey } from "@/lib/tokens/keys";

describe("signing key history (Settings)", () => {
  it("names the signing key and each retired key with when it was replaced and until when it verifies, never the private half", async () => {
    await ensureSigningKey(db());
    const before = (await keys(db())).signer.kid;
    const { kid, retired, retiredAt } = await rotateSigningKey(db(), { type: "system", label: "key-history test" });
    const history = await signingKeyHistory(db(), 100);
    const current = history.find((k) => k.kid === kid)!;
    expect(current).toMatchObject({ state: "signing", replacedAt: null, verifiesUntil: null });
    // The key this process last signed with: retired, replaced when this one was made, or earlier when another
    // test file (sharing the database) rotated first and this process's key cache had not caught up.
    expect(retired).toContain(before);
    const row = history.find((k) => k.kid === before)!;
    expect(row.state).toBe("retired");
    expect(Date.parse(row.replacedAt!)).toBeLessThanOrEqual(Date.parse(current.createdAt));
    expect(Date.parse(row.replacedAt!)).toBeGreaterThanOrEqual(Date.parse(row.createdAt));
    expect(Date.parse(row.verifiesUntil!)).toBeLessThanOrEqual(Date.parse(retiredAt));
    expect(Date.parse(row.createdAt)).toBeLessThanOrEqual(Date.parse(current.createdAt));
    for (const k of history) expect(Object.keys(k).sort()).toEqual(["createdAt", "kid", "replacedAt", "state", "verifiesUntil"]);
    expect(JSON.stringify(history)).not.toMatch(/"d"|privateJwk/);
  });
});
