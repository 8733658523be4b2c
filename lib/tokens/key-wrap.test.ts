import { exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { isWrapped, parseKek, unwrapPrivateJwk, wrapPrivateJwk } from "@/lib/tokens/key-wrap";

const kek = Buffer.alloc(32, 7);
const otherKek = Buffer.alloc(32, 8);

async function privateJwk() {
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  return { ...(await exportJWK(privateKey)), kid: "key_a", alg: "EdDSA" };
}

describe("signing keys encrypted at rest", () => {
  it("round-trips, and the stored form holds none of the key's material", async () => {
    const jwk = await privateJwk();
    const stored = wrapPrivateJwk(jwk, "key_a", kek);
    expect(isWrapped(stored)).toBe(true);
    expect(JSON.stringify(stored)).not.toContain(jwk.d!);
    expect(unwrapPrivateJwk(stored, "key_a", kek)).toEqual(jwk);
    // A fresh IV each time: the same key never encrypts to the same bytes.
    expect(wrapPrivateJwk(jwk, "key_a", kek).ct).not.toBe(stored.ct);
  });

  it("does not open with another key-encryption key, under another kid, altered, or with a truncated tag", async () => {
    const stored = wrapPrivateJwk(await privateJwk(), "key_a", kek);
    const flip = (s: string) => Buffer.from(Buffer.from(s, "base64url").map((b, i) => (i === 0 ? b ^ 1 : b))).toString("base64url");
    expect(() => unwrapPrivateJwk(stored, "key_a", otherKek)).toThrow(/does not decrypt/);
    expect(() => unwrapPrivateJwk(stored, "key_b", kek)).toThrow(/does not decrypt/);
    expect(() => unwrapPrivateJwk({ ...stored, ct: flip(stored.ct) }, "key_a", kek)).toThrow(/does not decrypt/);
    expect(() => unwrapPrivateJwk({ ...stored, tag: flip(stored.tag) }, "key_a", kek)).toThrow(/does not decrypt/);
    expect(() => unwrapPrivateJwk({ ...stored, tag: stored.tag.slice(0, 6) }, "key_a", kek)).toThrow(/does not decrypt/);
    expect(() => unwrapPrivateJwk({ kty: "OKP", d: "x" }, "key_a", kek)).toThrow(/not encrypted at rest/);
  });

  it("takes a key-encryption key of exactly 32 bytes in base64 or base64url, and nothing else", () => {
    const raw = Buffer.alloc(32, 0xfb);
    expect(parseKek(raw.toString("base64"))).toEqual(raw);
    expect(parseKek(raw.toString("base64url"))).toEqual(raw);
    expect(() => parseKek(Buffer.alloc(16).toString("base64"))).toThrow(/32 bytes/);
    expect(() => parseKek("not base64 at all!")).toThrow(/base64/);
    expect(() => parseKek("")).toThrow();
  });
});
