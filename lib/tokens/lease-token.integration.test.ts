
import { exportJWK, generateKeyPair, SignJWT, decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { decide } from "@/lib/decisions/decide";
import { advanceClock, resetClock } from "@/lib/clock";
import { ensureSigningKey, forgetKeys, keys, retireSigningKeys, rotateSigningKey, jwks } from "@/lib/tokens/keys";
import { randomBytes } from "node:crypto";
import { isWrapped, parseKek, unwrapPrivateJwk, wrapPrivateJwk } from "@/lib/tokens/key-wrap";
import { newId } from "@/lib/ids";
import { ownerDb } from "@/test/owner-db";
import { seedEnforcementPoint, seedLease } from "@/test/factories";

let ep: Awaited<ReturnType<typeof seedEnforcementPoint>>["actor"];
let token: string;
let leaseId: string;
beforeAll(async () => {
  ep = (await seedEnforcementPoint(db())).actor;
  const l = await seedLease(db());
  token = l.leaseToken;
  leaseId = l.lease.id;
});

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
const claims = () => decodeJwt(token);
const askWith = async (leaseToken: string) => (await decide(db(), ep, { leaseToken, tool: "repo.read" })).reasons[0]!.code;

describe("lease token verification", () => {
  it("accepts the genuine token, signed EdDSA with a kid, with the documented claims", async () => {
    const c = claims();
    expect(c).toMatchObject({ aud: "lanyard", iss: "lanyard", jti: leaseId });
    expect(typeof c.agt).toBe("string");
    expect(c.sub).toMatch(/^run_/);
    expect(await askWith(token)).toBe("granted");
  });

  it("refuses forgeries and malformed tokens with token_invalid, never an allow", async () => {
    const [h, p, s] = token.split(".") as [string, string, string];
    const header = JSON.parse(Buffer.from(h, "base64url").toString());
    const { kid } = header;
    const pub = (await jwks(db())).keys.find((k) => k.kid === kid)!;
    const hmacKey = new TextEncoder().encode(JSON.stringify(pub));
    const hs256 = await new SignJWT(claims()).setProtectedHeader({ alg: "HS256", kid }).sign(hmacKey);
    const stranger = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const foreign = await new SignJWT(claims()).setProtectedHeader({ alg: "EdDSA", kid: "key_unknown" }).sign(stranger.privateKey);
    const sameKidWrongKey = await new SignJWT(claims()).setProtectedHeader({ alg: "EdDSA", kid }).sign(stranger.privateKey);
    const forged: Record<string, string> = {
      "alg none": `${b64({ alg: "none", kid })}.${p}.`,
      "HS256 keyed with the public key": hs256,
      "unknown kid": foreign,
      "known kid, another key": sameKidWrongKey,
      "tampered payload": `${h}.${b64({ ...claims(), jti: "lse_someoneelse" })}.${s}`,
      "tampered signature": `${h}.${p}.${s.slice(0, -4)}AAAA`,
      "garbage": "not-a-token",
      "empty": "",
      "two segments": `${h}.${p}`,
      "1 MB": "e".repeat(1024 * 1024),
    };
    for (const [name, t] of Object.entries(forged)) expect(await askWith(t), name).toBe("token_invalid");
  });

  it("parses strictly: only the canonical spelling of the genuine token verifies (jose alone accepts the others)", async () => {
    const [h, p, sig] = token.split(".") as [string, string, string];
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // A 64-byte signature leaves 4 unused bits in its last character: flipping one spells the same bytes.
    const sloppySig = sig.slice(0, -1) + alphabet[alphabet.indexOf(sig.at(-1)!) ^ 1]!;
    expect(Buffer.from(sloppySig, "base64url").equals(Buffer.from(sig, "base64url"))).toBe(true);
    const pad = (seg: string) => seg + "=".repeat((4 - (seg.length % 4)) % 4 || 2);
    const variants: Record<string, string> = {
      "trailing newline": `${token}\n`,
      "trailing CRLF": `${token}\r\n`,
      "= padding on the signature": `${h}.${p}.${pad(sig)}`,
      "= padding on the payload": `${h}.${pad(p)}.${sig}`,
      "non-canonical last character": `${h}.${p}.${sloppySig}`,
      "a space inside the payload": `${h}.${p.slice(0, 10)} ${p.slice(10)}.${sig}`,
      "a tab inside the header": `${h.slice(0, 5)}\t${h.slice(5)}.${p}.${sig}`,
      "a newline inside the signature": `${h}.${p}.${sig.slice(0, 20)}\n${sig.slice(20)}`,
      "standard base64 alphabet": `${h}.${p}.${sig.replace(/-/g, "+").replace(/_/g, "/")}`,
      "a leading space": ` ${token}`,
    };
    expect(await askWith(token)).toBe("granted");
    if (!/[-_]/.test(sig)) delete variants["standard base64 alphabet"]; // nothing to respell
    const answers: Record<string, string> = {};
    for (const [name, t] of Object.entries(variants)) answers[name] = await askWith(t);
    expect(answers).toEqual(Object.fromEntries(Object.keys(variants).map((name) => [name, "token_invalid"])));
  });

  it("refuses wrong audience, wrong issuer, a future nbf and an expired token", async () => {
    const { signer } = await keys(db());
    const sign = (over: Record<string, unknown>) =>
      new SignJWT({ ...claims(), ...over }).setProtectedHeader({ alg: "EdDSA", kid: signer.kid, typ: "lanyard-lease+jwt" }).sign(signer.privateKey);
    const nowS = Math.floor(Date.now() / 1000);
    expect(await askWith(await sign({ aud: "someone-else" }))).toBe("token_invalid");
    expect(await askWith(await sign({ iss: "evil" }))).toBe("token_invalid");
    expect(await askWith(await sign({ nbf: nowS + 3600 }))).toBe("token_invalid");
    expect(await askWith(await sign({ exp: nowS - 3600 }))).toBe("token_expired");
    // Within the 30 s tolerance a slightly skewed clock is accepted.
    expect(await askWith(await sign({ nbf: nowS + 10 }))).toBe("granted");
  });

  it("after a rotation, new tokens carry the new kid and old tokens still verify", async () => {
    const before = (await keys(db())).signer.kid;
    const startedAt = Date.now();
    const { kid, retired, retiredAt } = await rotateSigningKey(db(), { type: "system", label: "test" });
    // The previous key verifies until the last token it signed can have expired: the longest lease, plus the clock tolerance.
    expect(retired).toContain(before);
    expect(new Date(retiredAt).getTime()).toBeGreaterThanOrEqual(startedAt + (8 * 3600 + 30) * 1000);
    expect(new Date(retiredAt).getTime()).toBeLessThanOrEqual(Date.now() + (8 * 3600 + 30) * 1000);
    const fresh = await seedLease(db());
    expect(JSON.parse(Buffer.from(fresh.leaseToken.split(".")[0]!, "base64url").toString()).kid).toBe(kid);
    expect(await askWith(fresh.leaseToken)).toBe("granted");
    expect(await askWith(token)).toBe("granted");
    expect((await jwks(db())).keys.map((k) => k.kid)).toContain(kid);
  });
});

describe("signing keys at rest", () => {
  const kek = () => parseKek(process.env.LANYARD_KEY_ENCRYPTION_KEY!);

  it("stores every private key encrypted: a reader of signing_keys gets no key material", async () => {
    const { signer } = await keys(db());
    const row = await ownerDb().signingKey.findUniqueOrThrow({ where: { kid: signer.kid }, omit: { privateJwk: false } });
    expect(isWrapped(row.privateJwk)).toBe(true);
    expect(row.privateJwk).not.toHaveProperty("d");
    expect(unwrapPrivateJwk(row.privateJwk, row.kid, kek())).toHaveProperty("d");
  });

  it("encrypts a key stored in plaintext by an older version in place, once, and audits it", async () => {
    const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    const kid = newId("key");
    const plain = { ...(await exportJWK(privateKey)), kid, alg: "EdDSA" };
    await ownerDb().signingKey.create({ data: { kid, status: "retired", retiredAt: new Date(), publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" }, privateJwk: plain } });
    await ensureSigningKey(db());
    await ensureSigningKey(db());
    const row = await ownerDb().signingKey.findUniqueOrThrow({ where: { kid }, omit: { privateJwk: false } });
    expect(isWrapped(row.privateJwk)).toBe(true);
    expect(unwrapPrivateJwk(row.privateJwk, kid, kek())).toEqual(plain);
    expect(await db().auditEvent.count({ where: { action: "signing_key.encrypted", subjectId: kid } })).toBe(1);
  });

  it("re-encrypts keys under a new key-encryption key while the old one is given, and leaves a key neither opens alone", async () => {
    const previous = randomBytes(32);
    const stranger = randomBytes(32);
    const make = async (under: Buffer) => {
      const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
      const kid = newId("key");
      const plain = { ...(await exportJWK(privateKey)), kid, alg: "EdDSA" };
      await ownerDb().signingKey.create({ data: { kid, status: "retired", retiredAt: new Date(), publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" }, privateJwk: wrapPrivateJwk(plain, kid, under) } });
      return { kid, plain };
    };
    const rotated = await make(previous);
    const foreign = await make(stranger);
    const stored = async (kid: string) => (await ownerDb().signingKey.findUniqueOrThrow({ where: { kid }, omit: { privateJwk: false } })).privateJwk;
    // Without the old key given, nothing changes.
    await ensureSigningKey(db());
    const before = await stored(rotated.kid);
    expect(() => unwrapPrivateJwk(before, rotated.kid, kek())).toThrow(/does not decrypt/);
    process.env.LANYARD_OLD_KEY_ENCRYPTION_KEY = previous.toString("base64");
    try {
      await ensureSigningKey(db());
      await ensureSigningKey(db());
    } finally {
      delete process.env.LANYARD_OLD_KEY_ENCRYPTION_KEY;
    }
    expect(unwrapPrivateJwk(await stored(rotated.kid), rotated.kid, kek())).toEqual(rotated.plain);
    expect(await db().auditEvent.count({ where: { action: "signing_key.rewrapped", subjectId: rotated.kid } })).toBe(1);
    expect(unwrapPrivateJwk(await stored(foreign.kid), foreign.kid, stranger)).toEqual(foreign.plain);
    expect(await db().auditEvent.count({ where: { action: "signing_key.rewrapped", subjectId: foreign.kid } })).toBe(0);
  });
});

describe("signing key retirement", () => {
  const kek = () => parseKek(process.env.LANYARD_KEY_ENCRYPTION_KEY!);
  const actor = { type: "system" as const, label: "test" };

  /** An extra, older key made here (never the shared signer, which other test files keep using), and a signer of tokens with it. */
  async function extraKey() {
    const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    const kid = newId("key");
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" };
    await ownerDb().signingKey.create({ data: { kid, publicJwk, privateJwk: wrapPrivateJwk({ ...(await exportJWK(privateKey)), kid, alg: "EdDSA" }, kid, kek()), createdAt: new Date(Date.now() - 86_400_000) } });
    forgetKeys();
    return { kid, sign: () => new SignJWT({ ...claims() }).setProtectedHeader({ alg: "EdDSA", kid, typ: "lanyard-lease+jwt" }).sign(privateKey) };
  }

  it("a retired key verifies the tokens it signed until they can have expired, then none; it stays in the JWKS", async () => {
    const signer = (await keys(db())).signer.kid;
    const k = await extraKey();
    const t = await k.sign();
    expect(await askWith(t)).toBe("granted");
    const { retired } = await db().$transaction((tx) => retireSigningKeys(tx, actor, [k.kid], { compromised: false }));
    expect(retired).toEqual([k.kid]);
    forgetKeys();
    expect(await askWith(t)).toBe("granted");
    try {
      advanceClock((8 * 3600 + 31) * 1000);
      forgetKeys();
      expect(await askWith(await k.sign())).toBe("token_invalid");
    } finally {
      resetClock();
    }
    expect((await jwks(db())).keys.map((j) => j.kid)).toContain(k.kid);
    expect((await keys(db())).signer.kid).toBe(signer);
    expect(await db().auditEvent.count({ where: { action: "signing_key.retired", subjectId: k.kid } })).toBe(1);
  });

  it("a compromised key is refused at once and leaves the JWKS; the signer is untouched", async () => {
    const signer = (await keys(db())).signer.kid;
    const k = await extraKey();
    const t = await k.sign();
    expect(await askWith(t)).toBe("granted");
    expect((await jwks(db())).keys.map((j) => j.kid)).toContain(k.kid);
    await db().$transaction((tx) => retireSigningKeys(tx, actor, [k.kid], { compromised: true }));
    forgetKeys();
    expect(await askWith(t)).toBe("token_invalid");
    expect((await jwks(db())).keys.map((j) => j.kid)).not.toContain(k.kid);
    expect((await ownerDb().signingKey.findUniqueOrThrow({ where: { kid: k.kid } })).status).toBe("revoked");
    expect(await db().auditEvent.count({ where: { action: "signing_key.revoked", subjectId: k.kid } })).toBe(1);
    expect((await keys(db())).signer.kid).toBe(signer);
    expect(await askWith(token)).toBe("granted");
  });
});
