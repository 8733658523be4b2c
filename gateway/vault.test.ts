import { describe, expect, it } from "vitest";
import { Scrubber, variants } from "./vault";

describe("the gateway's scrubber", () => {
  it("replaces a released value and its simple encodings, deeply, leaving the input alone", () => {
    const s = new Scrubber();
    const secret = "s3cr3t/+value=";
    s.add(secret);
    const msg = { content: [{ type: "text", text: `a ${secret} b ${Buffer.from(secret).toString("base64")} c ${encodeURIComponent(secret)} d ${Buffer.from(secret).toString("base64url")}` }], [secret]: 1 };
    const out = s.deep(msg);
    expect(JSON.stringify(out)).not.toContain("s3cr3t");
    expect(out.content[0]!.text).toBe("a [redacted] b [redacted] c [redacted] d [redacted]");
    expect(msg.content[0]!.text).toContain(secret);
  });

  it("knows the parts an upstream prints: a connection URL's password, a bearer value's token", () => {
    expect(variants("postgresql://lyd_login:p%40ss-word-1@127.0.0.1:5432/db")).toContain("p@ss-word-1");
    expect(variants("Bearer eyJhbGciOi.payload.sig")).toContain("eyJhbGciOi.payload.sig");
    const s = new Scrubber();
    s.add("postgresql://lyd_login:pass-word-1@127.0.0.1:5432/db");
    expect(s.text('password authentication failed: "pass-word-1"')).toBe('password authentication failed: "[redacted]"');
  });

  it("leaves very short values alone (they would scrub ordinary words), forgets long-expired tokens, stays bounded", () => {
    const s = new Scrubber();
    s.add("abc");
    expect(s.text("abcdef")).toBe("abcdef");
    s.add("static-secret-value");
    s.add("expired-token-value", Date.now() - 120_000);
    for (let i = 0; i < 200; i++) s.add(`live-token-${i}-xxxxxxxx`, Date.now() + 60_000);
    expect(s.text("static-secret-value expired-token-value live-token-0-xxxxxxxx")).toBe("[redacted] expired-token-value [redacted]");
    for (let i = 0; i < 6000; i++) s.add(`more-token-${i}-xxxxxxxx`, Date.now() + 60_000);
    expect(s.text("more-token-5999-xxxxxxxx live-token-0-xxxxxxxx")).toBe("[redacted] live-token-0-xxxxxxxx");
  });
});
