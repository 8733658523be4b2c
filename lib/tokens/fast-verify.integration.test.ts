import { exportJWK, generateKeyPair, SignJWT, decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { advanceClock, resetClock } from "@/lib/clock";
import { forgetKeys, retireSigningKeys } from "@/lib/tokens/keys";
import { parseKek, wrapPrivateJwk } from "@/lib/tokens/key-wrap";
import { verifyLeaseTokenFast } from "@/lib/tokens/fast-verify";
import { newId } from "@/lib/ids";
import { ownerDb } from "@/test/owner-db";
import { seedLease } from "@/test/factories";

// The hot path checks a token's signature once and then remembers it: what it remembers must never
// outlive the key, nor the token's own times.
let token: string;
beforeAll(async () => {
  token = (await seedLease(db())).leaseToken;
});

const code = async (t: string) => {
  const r = await verifyLeaseTokenFast(db(), t);
  return r.ok ? "ok" : r.code;
};

/** An extra key of this file's own (never the shared signer) and tokens signed with it. */
async function extraKey() {
  const kek = parseKek(process.env.LANYARD_KEY_ENCRYPTION_KEY!);
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const kid = newId("key");
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" };
  await ownerDb().signingKey.create({ data: { kid, publicJwk, privateJwk: wrapPrivateJwk({ ...(await exportJWK(privateKey)), kid, alg: "EdDSA" }, kid, kek), createdAt: new Date(Date.now() - 86_400_000) } });
  forgetKeys();
  const sign = (claims: Record<string, unknown> = decodeJwt(token)) => new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", kid, typ: "lanyard-lease+jwt" }).sign(privateKey);
  return { kid, sign };
}

describe("verifyLeaseTokenFast remembers verified tokens", () => {
  it("answers the same for a token seen before, and a tampered copy of it is refused", async () => {
    expect(await code(token)).toBe("ok");
    expect(await code(token)).toBe("ok");
    const [h, p, s] = token.split(".") as [string, string, string];
    const flipped = s.slice(0, -2) + (s.at(-2) === "A" ? "B" : "A") + s.at(-1);
    expect(await code(`${h}.${p}.${flipped}`)).toBe("token_invalid");
    expect(await code(token)).toBe("ok");
  });

  it("a token verified before its key was compromised is refused at once after", async () => {
    const k = await extraKey();
    const t = await k.sign();
    expect(await code(t)).toBe("ok");
    expect(await code(t)).toBe("ok");
    await db().$transaction((tx) => retireSigningKeys(tx, { type: "system", label: "test" }, [k.kid], { compromised: true }));
    forgetKeys();
    expect(await code(t)).toBe("token_invalid");
  });

  it("a remembered token still expires, and one not yet valid stays refused until its nbf", async () => {
    const k = await extraKey();
    const nowS = Math.floor(Date.now() / 1000);
    const short = await k.sign({ ...decodeJwt(token), iat: nowS, exp: nowS + 120 });
    expect(await code(short)).toBe("ok");
    const later = await k.sign({ ...decodeJwt(token), iat: nowS, nbf: nowS + 600, exp: nowS + 3600 });
    expect(await code(later)).toBe("token_invalid");
    try {
      advanceClock(700_000);
      expect(await code(short)).toBe("token_expired");
      expect(await code(later)).toBe("ok");
    } finally {
      resetClock();
    }
  });
});
